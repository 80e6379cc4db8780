import type { FileIdentity } from '../types.js';
import type { CatalogJob, JobChanges, JobKind, JobState } from './job-types.js';

export type { CatalogJob, JobChanges, JobKind, JobState } from './job-types.js';

/**
 * The catalog: Stowage's durable record of every result it was asked to keep,
 * where its bytes are now, and the work in flight on it. One interface, proven
 * by one conformance suite (`describeCatalogConformance` in
 * `@stowage/storage-core/testing`); SQLite is the embedded default, Postgres
 * serves several app servers. See docs/architecture.md, "The catalog".
 *
 * The interface is deliberately small and low-level: records, compare-and-set
 * updates, claims with leases, streamed listings and counts. The protocols
 * (offload, worker, migrate, reconcile) live in core and are written once on
 * top of it, so a second implementation only has to get these primitives right.
 */

/**
 * Where a result stands, once no work is in flight on it:
 * - `local`: on the results disk only, by choice (the default backend was local disk);
 * - `pending`: stayed local for a transient reason; the worker retries it at `dueAt`;
 * - `blocked`: stayed local for a reason an admin must fix (credentials, permissions,
 *   settings); picked up again when settings or the default change;
 * - `offloaded`: verified at (`targetId`, `key`);
 * - `given-up`: stayed local and will not be retried (too many attempts or too old); `lastError` says why;
 * - `missing`: no copy could be found anywhere (reported by reconcile);
 * - `deleted`: removed through `storage.delete()`; its locations answer NOT_FOUND.
 */
export type ResultState = 'local' | 'pending' | 'blocked' | 'offloaded' | 'given-up' | 'missing' | 'deleted';

/** Every state, in a fixed order (for stats and validation). */
export const RESULT_STATES: readonly ResultState[] = [
  'local',
  'pending',
  'blocked',
  'offloaded',
  'given-up',
  'missing',
  'deleted',
];

/** The target id of the results disk itself. */
export const LOCAL_TARGET_ID = 'local';

/** What a piece of in-flight work is doing. */
/**
 * What a piece of in-flight work is doing. `cleanup` removes copies no record
 * points to any more (a migration's source copies after the switch).
 */
export type IntentKind = 'offload' | 'migrate' | 'delete' | 'cleanup' | 'recover';

/**
 * Work in flight on a record, held by one owner until `leaseUntil`. Written
 * before the work touches a backend, so a crash leaves an intent that recovery
 * resolves by looking at the local file and the backend. An intent whose lease
 * has passed belongs to nobody and may be claimed.
 */
export interface ResultIntent {
  readonly kind: IntentKind;
  /** Unique per attempt; written into the object's metadata so the attempt's own bytes can be recognised. */
  readonly attemptId: string;
  /** Who holds it: see `instanceOwner()`. */
  readonly owner: string;
  readonly startedAt: number;
  readonly leaseUntil: number;
  /** Where the attempt writes, once the holder has decided (undefined right after a claim). */
  readonly targetId?: string;
  /** The key of the original there. */
  readonly key?: string;
  /** The keys of every file there (original first), for recovery to inspect. */
  readonly keys?: readonly string[];
  /** For a cleanup on the results disk: the identity of each file to remove (parallel to `keys`). */
  readonly identities?: readonly RecordedFileIdentity[];
  /** The SHA-256 of the bytes the attempt sends, when known before sending. */
  readonly sha256?: string;
  /**
   * For claims of expired intents: the intent that was abandoned, for recovery
   * to inspect. When the abandoned intent was itself a recovery, the intent it
   * was recovering, so a recovery that dies is recovered in turn.
   */
  readonly previous?: Omit<ResultIntent, 'previous'>;
}

/** Identity of the local file that was verified (device, inode, size, mtime, ctime), as drivers check it on re-open. */
export type RecordedFileIdentity = FileIdentity;

/** One file of a result: the original (name "") or a named variant (thumbnail, size...). */
export interface ResultFile {
  /** "" for the original, else the variant's name, e.g. "thumb". */
  readonly name: string;
  /** Relative path on the results disk. */
  readonly path: string;
  /** Key in the record's target (the driver's key prefix not included). */
  readonly key: string;
  readonly size: number;
  readonly sha256: string | undefined;
  readonly contentType: string | undefined;
  /**
   * The local file that was verified (while the results disk holds it), so a
   * later delete-local removes it only if the path still holds that very file.
   */
  readonly identity?: RecordedFileIdentity;
}

/**
 * Copies of a result's files that Stowage made and still owns in a target the
 * record no longer serves from: a migration without `deleteSource` leaves the
 * source copies where they were. The record keeps them so `delete()` removes
 * them too, reconcile does not take them for orphans, and a target holding
 * them is not forgotten unnoticed. The results disk is never a kept copy: it
 * is `localCopy`.
 */
export interface KeptCopy {
  /** A remote target id such as "r2.1", never LOCAL_TARGET_ID nor the record's own target. */
  readonly targetId: string;
  /** The key of each file there, by file position when the copy was kept (`keys[0]` is the original's). */
  readonly keys: readonly string[];
}

/** The last failure on a record, classified; never holds a secret. */
export interface RecordedError {
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

/** One result as the catalog keeps it. Times are epoch milliseconds. */
export interface ResultRecord {
  readonly id: string;
  /** Relative path of the original on the results disk; at most one live (not deleted) record per path. */
  readonly path: string;
  readonly state: ResultState;
  /** The target the bytes serve from now: LOCAL_TARGET_ID or a remote target id such as "r2.1". */
  readonly targetId: string;
  /** The original's key in that target (always `files[0].key`). */
  readonly key: string;
  /** The first location handed out for this result; every location of it resolves here (see `resolve`). */
  readonly location: string;
  /** The original and its variants; `files[0]` is the original. */
  readonly files: readonly ResultFile[];
  readonly metadata: Readonly<Record<string, string>>;
  /** The results disk still holds the files (false once delete-local removed them). */
  readonly localCopy: boolean;
  /** Copies Stowage keeps in other targets (see KeptCopy), one entry per target, by target id; empty for most. */
  readonly keptCopies: readonly KeptCopy[];
  readonly attempts: number;
  readonly lastError: RecordedError | undefined;
  /** When the worker may retry a pending record. */
  readonly dueAt: number | undefined;
  readonly intent: ResultIntent | undefined;
  /** The migration this record is queued for, if any. */
  readonly migrationId: string | undefined;
  /** Bumped by every change; `update` compares it (compare-and-set). */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What `insert` takes: a record without the fields the catalog assigns. */
export interface NewResultRecord {
  readonly path: string;
  readonly state: ResultState;
  readonly targetId: string;
  readonly key: string;
  readonly location: string;
  readonly files: readonly ResultFile[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly localCopy: boolean;
  /** Defaults to none. */
  readonly keptCopies?: readonly KeptCopy[];
  readonly attempts?: number;
  readonly lastError?: RecordedError;
  readonly dueAt?: number;
  readonly intent?: ResultIntent;
  readonly migrationId?: string;
  /** Defaults to now. */
  readonly now?: number;
}

/**
 * A change to a record. A field left out keeps its value; `null` clears an
 * optional one. The path never changes: a result is its path.
 */
export interface ResultChanges {
  readonly state?: ResultState;
  readonly targetId?: string;
  /** Replaces every file; the record's `key` follows `files[0].key`. */
  readonly files?: readonly ResultFile[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly localCopy?: boolean;
  /** Replaces every kept copy; `[]` clears them. */
  readonly keptCopies?: readonly KeptCopy[];
  readonly attempts?: number;
  readonly lastError?: RecordedError | null;
  readonly dueAt?: number | null;
  readonly intent?: ResultIntent | null;
  readonly migrationId?: string | null;
}

/** Options of `update`. */
export interface UpdateOptions {
  /** Locations to point at this record in the same commit (an alias per location ever handed out). */
  readonly addLocations?: readonly string[];
  /** Defaults to now. */
  readonly now?: number;
}

/**
 * Which records a claim may take. Work is claimed only from records without
 * an intent; a record whose intent's lease has passed goes to recovery first
 * (`expired`), because the abandoned attempt may have left something behind.
 */
export type ClaimSelector =
  /** `pending` records whose `dueAt` has come, with no intent. */
  | { readonly due: true }
  /** Records queued for this migration, in any state but `deleted`, with no intent. */
  | { readonly migrationId: string }
  /** Records whose intent's lease has passed (its owner died or hung): for recovery. */
  | { readonly expired: true };

/** A request to take work: each record claimed gets a fresh intent held by `owner`. */
export interface ClaimRequest {
  readonly select: ClaimSelector;
  /** The kind of the new intent. */
  readonly kind: IntentKind;
  readonly owner: string;
  readonly leaseMs: number;
  /** At most this many records. */
  readonly limit: number;
  /** Defaults to now. */
  readonly now?: number;
}

/** A filter over records, for listings and counts. Every field narrows; none given means all records. */
export interface ResultQuery {
  readonly state?: ResultState | readonly ResultState[];
  readonly targetId?: string | readonly string[];
  /** Records whose path starts with this (plain string prefix). */
  readonly pathPrefix?: string;
  /** Queued for this migration (`null`: queued for none). */
  readonly migrationId?: string | null;
  /** Records with (true) or without (false) an intent, whatever its lease. */
  readonly hasIntent?: boolean;
  /** Records whose `updatedAt` is before this. */
  readonly updatedBefore?: number;
  /** Page size used internally; listings page transparently. Default 500. */
  readonly pageSize?: number;
}

/** One file of a live record, as listed by target and key (for reconcile). */
export interface CatalogFileEntry {
  readonly key: string;
  readonly file: ResultFile;
  readonly record: ResultRecord;
}

/** One file of a live record, as listed by its path on the results disk (for reconcile). */
export interface CatalogPathEntry {
  /** The file's path on the results disk. */
  readonly path: string;
  readonly resultId: string;
  /** The file's name in its record: "" for the original, else the variant's name. */
  readonly name: string;
}

/** One key of a kept copy of a live record, as listed by target and key (for reconcile). */
export interface CatalogKeptEntry {
  readonly key: string;
  /** The file position the key has in the kept copy's `keys`. */
  readonly position: number;
  readonly record: ResultRecord;
}

/** Counts from the catalog. */
export interface CatalogStats {
  /** Records in every state, deleted included. */
  readonly total: number;
  readonly byState: Readonly<Record<ResultState, number>>;
  /** Live (not deleted) records per target, with the bytes of all their files. */
  readonly byTarget: ReadonlyArray<{ readonly targetId: string; readonly results: number; readonly bytes: number }>;
  /** Records with an intent whose lease has not passed. */
  readonly inFlight: number;
  /**
   * The last failures of live records recorded since `since`, by error code,
   * most frequent first: what needs fixing now. A deleted record's last
   * failure is left out, as the result needs nothing any more.
   */
  readonly recentFailures: ReadonlyArray<{ readonly code: string; readonly count: number }>;
}

/** Keys about to be removed from a target (see `Catalog.claimRemoval`). */
export interface RemovalClaimRequest {
  readonly targetId: string;
  readonly keys: readonly string[];
  readonly leaseMs: number;
  readonly now?: number;
}

/** The durable record of every result. Every method is one atomic, durable step. */
export interface Catalog {
  /** "sqlite", "postgres", ... */
  readonly kind: string;
  /** The record with this id. */
  get(id: string): Promise<ResultRecord | undefined>;
  /** The live (not deleted) record of this results-disk path. */
  findByPath(path: string): Promise<ResultRecord | undefined>;
  /** The record a location handed out points to (deleted records included), or undefined. */
  resolve(location: string): Promise<ResultRecord | undefined>;
  /** Every location that points to the record, its own `location` first. */
  locationsOf(id: string): Promise<string[]>;
  /**
   * Adds a record and points its `location` at it, in one commit. PRECONDITION_FAILED when the
   * path already has a live record, or a file's key is already used in that target by another
   * live record, or the location points to another live record.
   */
  insert(record: NewResultRecord): Promise<ResultRecord>;
  /**
   * Applies `changes` when the record's version is still `expectedVersion`, in one commit with
   * `options.addLocations`; returns the updated record, or undefined when the version moved on (a
   * concurrent change won) or the record does not exist. PRECONDITION_FAILED under the same
   * uniqueness rules as `insert`.
   */
  update(
    id: string,
    expectedVersion: number,
    changes: ResultChanges,
    options?: UpdateOptions,
  ): Promise<ResultRecord | undefined>;
  /**
   * Takes up to `limit` records matching `select` that no one holds, giving each a fresh intent
   * owned by `owner` for `leaseMs`. Two claims never take the same record while a lease runs.
   */
  claim(request: ClaimRequest): Promise<ResultRecord[]>;
  /** Extends the lease of the intent with `attemptId`; false when the record no longer carries it. */
  renewLease(id: string, attemptId: string, leaseUntil: number): Promise<boolean>;
  /** Records matching `query`, ordered by id, paged so memory stays bounded. */
  list(query?: ResultQuery): AsyncIterable<ResultRecord>;
  /**
   * Every file of every live record in `targetId`, ordered by key in UTF-8 byte order (the order
   * S3 lists in), paged so memory stays bounded. For comparing a backend listing with the catalog.
   */
  listFiles(
    targetId: string,
    options?: { readonly keyPrefix?: string; readonly pageSize?: number },
  ): AsyncIterable<CatalogFileEntry>;
  /**
   * Every file of every live record, whatever its target, ordered by path on the results disk in
   * UTF-8 byte order (then by record id and file name, as two records may name one path), paged so
   * memory stays bounded. For finding files on the results disk that no record knows.
   */
  listPaths(options?: { readonly pathPrefix?: string; readonly pageSize?: number }): AsyncIterable<CatalogPathEntry>;
  /**
   * Every key of every kept copy in `targetId` of a live record, ordered by key in UTF-8 byte order
   * (then by record id and position), paged so memory stays bounded: what a listing of the target
   * holds besides `listFiles`.
   */
  listKeptCopies(
    targetId: string,
    options?: { readonly keyPrefix?: string; readonly pageSize?: number },
  ): AsyncIterable<CatalogKeptEntry>;
  /** How many live records keep a copy in `targetId`, and how many keys those copies have. */
  countKeptCopies(targetId: string): Promise<{ readonly results: number; readonly keys: number }>;
  /** How many records match, and the bytes of all their files. */
  count(query?: ResultQuery): Promise<{ readonly results: number; readonly bytes: number }>;
  /** Counts by state and target, work in flight, live records' failures since `since` (default: the last 24 hours). */
  stats(options?: { readonly since?: number; readonly now?: number }): Promise<CatalogStats>;
  /** Adds a job in state `queued`. */
  createJob(job: {
    readonly kind: JobKind;
    readonly params: Readonly<Record<string, unknown>>;
    readonly now?: number;
  }): Promise<CatalogJob>;
  /** The job with this id. */
  getJob(id: string): Promise<CatalogJob | undefined>;
  /** Jobs, newest first, optionally of one kind and in some states. */
  listJobs(query?: { readonly kind?: JobKind; readonly state?: JobState | readonly JobState[] }): Promise<CatalogJob[]>;
  /** Applies `changes` when the job's version is still `expectedVersion`; undefined otherwise. */
  updateJob(
    id: string,
    expectedVersion: number,
    changes: JobChanges,
    options?: { readonly now?: number },
  ): Promise<CatalogJob | undefined>;
  /**
   * Takes the oldest job of `kind` that is queued, or running under a lease that has passed,
   * for `owner` until `now + leaseMs` (state `running`). Two claims never take one job at once.
   */
  claimJob(request: {
    readonly kind: JobKind;
    readonly owner: string;
    readonly leaseMs: number;
    readonly now?: number;
  }): Promise<CatalogJob | undefined>;
  /**
   * Queues, for migration `jobId`, every record matching `query` that has no intent and is
   * queued for no other migration, in one commit. Returns how many were queued.
   */
  queueForMigration(jobId: string, query: ResultQuery): Promise<number>;
  /**
   * Marks `keys` in `targetId` as about to be removed, until `now + leaseMs`, in one commit, and
   * returns the claim's id. Whatever removes objects another result may adopt claims them first
   * and checks the catalog after (catalog/removal-claims.ts). Expired claims are dropped here.
   */
  claimRemoval(request: RemovalClaimRequest): Promise<string>;
  /** Drops the removal claim `id`; nothing happens when it is gone already. */
  releaseRemoval(id: string): Promise<void>;
  /** True when a removal claim whose lease has not passed at `now` names `key` in `targetId`. */
  removalClaimed(targetId: string, key: string, options?: { readonly now?: number }): Promise<boolean>;
  /** Releases the database. */
  close(): Promise<void>;
}
