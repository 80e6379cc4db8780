import type { StorageDriver } from '../types.js';

const MiB = 1024 * 1024;

/** How `describeDriverConformance` gets and disposes of the driver under test, plus size knobs. */
export interface ConformanceOptions {
  /** Returns a fresh, empty driver (a new directory, a new bucket). Called once per suite. */
  createDriver(): Promise<StorageDriver>;
  /** Removes what `createDriver` made (the directory, the bucket). Called after `driver.close()`. */
  destroyDriver?(driver: StorageDriver): Promise<void>;
  /** Size of the streamed large object; must exceed 16 MiB to cross multipart thresholds. Default 17 MiB + 13 bytes. */
  largeObjectBytes?: number;
  /** Objects written for the paging test; must exceed 1,000 (one S3 page). Default 1,050. */
  listingObjectCount?: number;
  /** Parallel writes while seeding the paging test. Default 16. */
  concurrency?: number;
  /** Timeout for the slow tests (large object, paging), in milliseconds. Default 180,000. */
  slowTestTimeoutMs?: number;
  /**
   * When true, `publicUrl()` results are fetched with plain `fetch` and compared
   * byte for byte (needs a public base that really serves the objects). Default false:
   * the URL is only checked to be absolute and to carry the key.
   */
  fetchPublicUrls?: boolean;
  /**
   * Longest key, in UTF-8 bytes, the driver must store. Default 1,024 (the contract's limit); a driver
   * whose backend counts its own key prefix against that limit passes 1,024 minus the prefix's bytes.
   */
  maxKeyBytes?: number;
}

/** Options with every default filled in. */
export type ResolvedConformanceOptions = Required<Omit<ConformanceOptions, 'destroyDriver'>> &
  Pick<ConformanceOptions, 'destroyDriver'>;

/** Fills in defaults and rejects knobs that would make the suite prove less than it claims. */
export function resolveConformanceOptions(options: ConformanceOptions): ResolvedConformanceOptions {
  if (typeof options?.createDriver !== 'function') {
    throw new TypeError('describeDriverConformance: options.createDriver must be a function returning a driver');
  }
  const resolved: ResolvedConformanceOptions = {
    createDriver: options.createDriver,
    destroyDriver: options.destroyDriver,
    largeObjectBytes: options.largeObjectBytes ?? 17 * MiB + 13,
    listingObjectCount: options.listingObjectCount ?? 1050,
    concurrency: options.concurrency ?? 16,
    slowTestTimeoutMs: options.slowTestTimeoutMs ?? 180_000,
    fetchPublicUrls: options.fetchPublicUrls ?? false,
    maxKeyBytes: options.maxKeyBytes ?? 1024,
  };
  if (!Number.isInteger(resolved.largeObjectBytes) || resolved.largeObjectBytes <= 16 * MiB) {
    throw new TypeError('describeDriverConformance: largeObjectBytes must be an integer above 16 MiB');
  }
  if (!Number.isInteger(resolved.listingObjectCount) || resolved.listingObjectCount <= 1000) {
    throw new TypeError('describeDriverConformance: listingObjectCount must be an integer above 1,000');
  }
  if (!Number.isInteger(resolved.maxKeyBytes) || resolved.maxKeyBytes < 256 || resolved.maxKeyBytes > 1024) {
    throw new TypeError('describeDriverConformance: maxKeyBytes must be an integer from 256 to 1,024');
  }
  if (!Number.isInteger(resolved.concurrency) || resolved.concurrency < 1) {
    throw new TypeError('describeDriverConformance: concurrency must be a positive integer');
  }
  return resolved;
}
