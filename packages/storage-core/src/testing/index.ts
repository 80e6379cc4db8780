/**
 * `@stowage/storage-core/testing`: the shared driver conformance suite and the
 * helpers it is built from, for driver packages and third-party drivers.
 */

export type { CatalogConformanceOptions } from './catalog/context.js';
export { describeCatalogConformance } from './catalog/describe-catalog-conformance.js';
export { describeDriverConformance } from './describe-driver-conformance.js';
export { digestStream, generatedChunks, generatedStream, generatedWebStream } from './generated-data.js';
export type { ConformanceOptions } from './options.js';
export { expectStorageError, listKeys, readBytes, readText } from './suite-context.js';
export { INVALID_KEYS } from './suite-invalid-keys.js';
