/**
 * The app-facing entry point: `createStorage()` opens the registry and gives
 * `offload()` for new results plus location-based reads, URLs and deletes for
 * stored ones. Admin tasks (settings, enable, default) live on `storage.registry`.
 */
import type { Readable } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import { ErrorCode, StorageError } from './errors.js';
import { StorageEvents } from './events.js';
import { parseLocation } from './location.js';
import { type Logger, silentLogger } from './logger.js';
import { type ObjectUrl, objectUrl } from './offload/object-url.js';
import { offloadResult, resultFileSize } from './offload/offload.js';
import type { OffloadInput, OffloadOptions, OffloadOutcome } from './offload/types.js';
import { validateOffloadInput } from './offload/validate-input.js';
import { BackendRegistry, type RegistryOptions } from './registry/registry.js';
import type { ObjectStat, PresignedRequest, PresignGetOptions, ReadOptions, StorageDriver } from './types.js';

/** Options of `createStorage()`: the registry options plus offload tuning. */
export interface StorageOptions extends RegistryOptions {
  /** How many offloads run at once; more wait their turn. Default 4. */
  concurrency?: number;
  /**
   * Gives up on one upload after this many milliseconds (outcome local,
   * TIMEOUT), plus at most ABORT_GRACE_MS for the driver to wind down.
   * Default: drivers' own timeouts.
   */
  uploadTimeoutMs?: number;
  /** Lifetime, in seconds, of presigned URLs in outcomes and from `url()`. Default 3600. */
  signedUrlExpiresIn?: number;
}

/** Opens the stored settings and returns a ready Storage. Throws on invalid options, before any I/O. */
export async function createStorage(options: StorageOptions): Promise<Storage> {
  const problems: string[] = [];
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
    problems.push('concurrency: must be an integer of at least 1');
  }
  if (
    options.uploadTimeoutMs !== undefined &&
    !(Number.isFinite(options.uploadTimeoutMs) && options.uploadTimeoutMs > 0)
  ) {
    problems.push('uploadTimeoutMs: must be a positive number');
  }
  if (
    options.signedUrlExpiresIn !== undefined &&
    !(Number.isInteger(options.signedUrlExpiresIn) && options.signedUrlExpiresIn >= 1)
  ) {
    problems.push('signedUrlExpiresIn: must be a whole number of seconds, at least 1');
  }
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `storage options: ${problems.join('; ')}`);
  const logger = options.logger ?? silentLogger;
  const events = options.events ?? new StorageEvents();
  const registry = await BackendRegistry.open({ ...options, logger, events });
  return new Storage(registry, logger, options);
}

/** Offload plus location-based access to every backend. */
export class Storage {
  readonly registry: BackendRegistry;
  readonly events: StorageEvents;
  readonly #logger: Logger;
  readonly #limit: LimitFunction;
  readonly #uploadTimeoutMs: number | undefined;
  readonly #signedUrlExpiresIn: number;
  readonly #inFlight = new Set<Promise<OffloadOutcome>>();
  // Driver writes offload gave up on (timeout, abort) that have not settled yet.
  readonly #lingering = new Set<Promise<unknown>>();

  /** Use `createStorage()`. */
  constructor(registry: BackendRegistry, logger: Logger, options: Omit<StorageOptions, keyof RegistryOptions> = {}) {
    this.registry = registry;
    this.events = registry.events;
    this.#logger = logger;
    this.#limit = pLimit(options.concurrency ?? 4);
    this.#uploadTimeoutMs = options.uploadTimeoutMs;
    this.#signedUrlExpiresIn = options.signedUrlExpiresIn ?? 3600;
  }

  /**
   * Sends a finalized result from the results disk to the active backend and
   * reports where it is now. Never throws on storage errors: the outcome is
   * 'local' with `error` set, and the file keeps serving from local disk.
   * Record `outcome.location` in `options.onStored`: it runs after the upload
   * is verified and before the local copy is deleted, so a crash can never
   * leave a recorded location without the object, nor delete an unrecorded
   * one. Throws only on bad input (see `validateOffloadInput`) or a path with
   * no file on the results disk.
   */
  async offload(result: OffloadInput, options?: OffloadOptions): Promise<OffloadOutcome> {
    const running = this.#limit(() =>
      offloadResult(
        {
          registry: this.registry,
          logger: this.#logger,
          events: this.events,
          uploadTimeoutMs: this.#uploadTimeoutMs,
          signedUrlExpiresIn: this.#signedUrlExpiresIn,
          linger: (settling) => {
            const tracked = settling.finally(() => this.#lingering.delete(tracked));
            this.#lingering.add(tracked);
          },
        },
        result,
        options,
      ),
    );
    this.#inFlight.add(running);
    try {
      return await running;
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /**
   * Offloads many results, at most `concurrency` at a time; outcomes in input
   * order. Throws on any bad input (INVALID_INPUT / INVALID_KEY) or missing
   * result file (NOT_FOUND) before the first upload, so a bad entry never
   * leaves a batch half done.
   */
  async offloadMany(results: readonly OffloadInput[], options?: OffloadOptions): Promise<OffloadOutcome[]> {
    if (!Array.isArray(results)) {
      throw new StorageError(ErrorCode.InvalidInput, 'offloadMany expects an array of offload inputs');
    }
    for (const result of results) validateOffloadInput(result);
    for (const result of results) await resultFileSize(this.registry.local.root, result.path);
    return Promise.all(results.map((result) => this.offload(result, options)));
  }

  /** Opens the object at `location` as a stream, from the backend that holds it. */
  async read(location: string, options?: ReadOptions): Promise<Readable> {
    const { driver, key } = this.#resolve(location);
    return driver.read(key, options);
  }

  /** Size, type and metadata of the object at `location`. */
  async stat(location: string): Promise<ObjectStat> {
    const { driver, key } = this.#resolve(location);
    return driver.stat(key);
  }

  /** True when the object at `location` exists. */
  async exists(location: string): Promise<boolean> {
    const { driver, key } = this.#resolve(location);
    return driver.exists(key);
  }

  /** Deletes the object at `location` from the backend that holds it; succeeds when already gone. */
  async delete(location: string): Promise<void> {
    const { driver, key } = this.#resolve(location);
    return driver.delete(key);
  }

  /** The public URL of `location`; UNSUPPORTED when its backend has no public base. */
  publicUrl(location: string): string {
    const { driver, key } = this.#resolve(location);
    return driver.publicUrl(key);
  }

  /** A time-limited download URL for `location`. */
  async signedUrl(location: string, options?: PresignGetOptions): Promise<PresignedRequest> {
    const { driver, key } = this.#resolve(location);
    return driver.presignGet(key, { expiresIn: this.#signedUrlExpiresIn, ...options });
  }

  /** The best URL for `location`: public when available, else presigned. */
  async url(location: string): Promise<ObjectUrl> {
    const { driver, key } = this.#resolve(location);
    return objectUrl(driver, key, this.#signedUrlExpiresIn);
  }

  /**
   * Waits for running and queued offloads to settle, and for uploads they gave
   * up on to wind down, then closes the drivers the registry built.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    await Promise.allSettled([...this.#lingering]);
    await this.registry.close();
  }

  // Any configured backend resolves, enabled or not: files serve from where they are.
  #resolve(location: string): { driver: StorageDriver; key: string } {
    const { backend, key } = parseLocation(location);
    return { driver: this.registry.driver(backend), key };
  }
}
