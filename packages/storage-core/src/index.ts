export * from './body.js';
export * from './content-type.js';
export * from './errors.js';
export * from './keys.js';
export * from './probe.js';
export * from './types.js';
export * from './driver-definition.js';
