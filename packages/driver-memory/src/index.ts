export { createMemoryDriverDefinition, type MemoryDriverDefinition, memoryDriverDefinition } from './definition.js';
export { MemoryBucket, type StoredObject } from './memory-bucket.js';
export { createMemoryDriver, MemoryDriver, type MemoryDriverOptions } from './memory-driver.js';
export { type MemoryDriverSettings, memoryDriverSettingsSchema } from './settings.js';
