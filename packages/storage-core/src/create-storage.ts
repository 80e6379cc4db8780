/** `createStorage()`: the one way to get a Storage (storage.ts). */
import { StorageEvents } from './events.js';
import { silentLogger } from './logger.js';
import { BackendRegistry } from './registry/registry.js';
import { Storage } from './storage.js';
import { defaultCatalog, resolveStorageOptions, type StorageOptions } from './storage-options.js';

/** Opens the stored settings and the catalog and returns a ready Storage. Throws on invalid options, before any I/O. */
export async function createStorage(options: StorageOptions): Promise<Storage> {
  const tuning = resolveStorageOptions(options);
  const logger = options.logger ?? silentLogger;
  const events = options.events ?? new StorageEvents();
  const registry = await BackendRegistry.open({ ...options, logger, events });
  const catalog = await defaultCatalog(options);
  return new Storage(registry, logger, tuning, { catalog, ownsCatalog: catalog !== options.catalog });
}
