/**
 * The options of `createStorage()`, checked all at once before any I/O, and
 * the embedded default catalog: a SQLite file beside the JSON settings file.
 */
import { dirname, join } from 'node:path';
import { openSqliteCatalog } from './catalog/sqlite/sqlite-catalog.js';
import type { Catalog } from './catalog/types.js';
import { ErrorCode, StorageError } from './errors.js';
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryScheduleProblems } from './offload/retry-schedule.js';
import type { RegistryOptions } from './registry/registry.js';
import { JsonFileSettingsStore } from './settings/json-file-store.js';
import { MemorySettingsStore } from './settings/memory-store.js';

/** The file name of the embedded catalog, next to the settings file. */
export const DEFAULT_CATALOG_FILE = 'stowage-catalog.sqlite';

/** Options of `createStorage()`: the registry options plus offload tuning and the catalog. */
export interface StorageOptions extends RegistryOptions {
  /**
   * The durable record of every result (see docs/architecture.md, "The catalog").
   * Default: a SQLite file `stowage-catalog.sqlite` next to a JsonFileSettingsStore's file
   * (in memory with a MemorySettingsStore). Pass another Catalog (e.g. Postgres for several
   * app servers), or `false` when the app keeps its own records: locations then resolve
   * through each provider's current settings, and nothing is retried, migrated or reconciled.
   */
  catalog?: Catalog | false;
  /**
   * How many offloads send to a backend at once (the upload and its
   * verification); more wait their turn. As many again may meanwhile be
   * opening their files, recording in the catalog or removing local copies.
   * Default 4.
   */
  concurrency?: number;
  /**
   * Gives up on one upload after this many milliseconds (outcome local,
   * TIMEOUT), plus at most ABORT_GRACE_MS for the driver to wind down.
   * Default: drivers' own timeouts.
   */
  uploadTimeoutMs?: number;
  /** Lifetime, in seconds, of presigned URLs in outcomes and from `url()`. Default 3600. */
  signedUrlExpiresIn?: number;
  /** How long an offload holds its catalog record without renewing it, in milliseconds. Default 60,000. */
  leaseMs?: number;
  /** When results that stayed local are tried again, and when they are given up. */
  retry?: Partial<RetrySchedule>;
  /**
   * Names this process's host in the catalog's intent owners (`<hostId>/<pid>/<instance>`),
   * in place of the OS host name. Recovery takes over at once the intents of a process on
   * the same host that no longer runs (it asks the OS about the pid); on another host it
   * waits for the lease. Containers that share a host name but not a process table (host
   * networking, a fixed `hostname:`) must each get their own, e.g. the container id, or one
   * could take another's live work for dead. Default: `os.hostname()`.
   */
  hostId?: string;
}

/** The tuning after defaults. */
export interface ResolvedStorageOptions {
  readonly concurrency: number;
  readonly uploadTimeoutMs: number | undefined;
  readonly signedUrlExpiresIn: number;
  readonly leaseMs: number;
  readonly retry: RetrySchedule;
  readonly hostId: string | undefined;
}

/** Every problem with the tuning options, then the options with defaults filled in. */
export function resolveStorageOptions(options: StorageOptions): ResolvedStorageOptions {
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
  if (options.leaseMs !== undefined && !(Number.isInteger(options.leaseMs) && options.leaseMs >= 1000)) {
    problems.push('leaseMs: must be a whole number of milliseconds, at least 1000');
  }
  if (options.retry !== undefined) problems.push(...retryScheduleProblems(options.retry));
  if (
    options.hostId !== undefined &&
    !(typeof options.hostId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(options.hostId))
  ) {
    problems.push('hostId: must be 1 to 128 letters, digits, ".", "_", ":" or "-"');
  }
  const catalog = options.catalog;
  if (catalog !== undefined && catalog !== false && typeof (catalog as Catalog)?.claim !== 'function') {
    problems.push('catalog: must be a Catalog (e.g. from openSqliteCatalog) or false');
  }
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `storage options: ${problems.join('; ')}`);
  return {
    concurrency: options.concurrency ?? 4,
    uploadTimeoutMs: options.uploadTimeoutMs,
    signedUrlExpiresIn: options.signedUrlExpiresIn ?? 3600,
    leaseMs: options.leaseMs ?? 60_000,
    retry: { ...DEFAULT_RETRY_SCHEDULE, ...options.retry },
    hostId: options.hostId,
  };
}

/**
 * The catalog to use: the one given, none (`false`), or the embedded default
 * beside the settings. A custom settings store has no file to sit beside, so
 * it needs an explicit choice.
 */
export async function defaultCatalog(options: StorageOptions): Promise<Catalog | undefined> {
  if (options.catalog === false) return undefined;
  if (options.catalog) return options.catalog;
  if (options.store instanceof JsonFileSettingsStore) {
    return openSqliteCatalog({ file: join(dirname(options.store.filePath), DEFAULT_CATALOG_FILE) });
  }
  if (options.store instanceof MemorySettingsStore) return openSqliteCatalog({ file: ':memory:' });
  throw new StorageError(
    ErrorCode.InvalidInput,
    'storage options: catalog: with a custom settings store, pass a Catalog (e.g. openSqliteCatalog({ file })) or false',
  );
}
