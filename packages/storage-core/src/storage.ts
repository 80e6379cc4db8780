/**
 * The app-facing entry point: `createStorage()` opens the registry and the
 * catalog and gives `offload()` for new results plus location-based reads,
 * URLs and deletes for stored ones. Admin tasks (settings, enable, default)
 * live on `storage.registry`.
 */
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Catalog, CatalogStats } from './catalog/types.js';
import { deleteResult, recordToDelete } from './delete-result.js';
import {
  type PlannedUpload,
  presignUpload,
  type RecordedUpload,
  type RecordUploadInput,
  recordUpload,
  type UploadRequest,
} from './direct-upload.js';
import { ErrorCode, StorageError } from './errors.js';
import type { StorageEvents } from './events.js';
import { parseLocation } from './location.js';
import { resolveLocation } from './locations.js';
import { errorFacts, type Logger } from './logger.js';
import { type MigrationJobStatus, migrationStatus } from './migrate/job-progress.js';
import { MigrationJobs } from './migrate/job-runner.js';
import { type MigrationReport, migrate, queueMigration } from './migrate/migrate.js';
import type { MigrateOptions } from './migrate/plan.js';
import { checkBatchInputs } from './offload/batch-inputs.js';
import { instanceOwner, OffloadJournal } from './offload/journal.js';
import { type ObjectUrl, objectUrl } from './offload/object-url.js';
import { offloadResult } from './offload/offload.js';
import { type RecoveryReport, recoverAbandoned } from './offload/recover.js';
import type { OffloadInput, OffloadOptions, OffloadOutcome } from './offload/types.js';
import { queueReconcile, type ReconcileJobContext, reconcileNow, runQueuedReconcile } from './reconcile/job.js';
import type { ReconcileOptions } from './reconcile/options.js';
import type { ReconcileReport } from './reconcile/report.js';
import { type SweepOptions, type SweepReport, sweepTargets } from './reconcile/sweep.js';
import type { BackendRegistry } from './registry/registry.js';
import { refuseJobId, refuseStatsOptions } from './storage-arguments.js';
import {
  migrationContext,
  offloadContext,
  reconcileContext,
  recoveryContext,
  requireCatalog,
  type StorageParts,
  sweepContext,
} from './storage-contexts.js';
import type { ResolvedStorageOptions } from './storage-options.js';
import { removeTarget, type TargetWithCounts, targetsWithCounts } from './targets-admin.js';
import type { ObjectStat, PresignedRequest, PresignGetOptions, ReadOptions } from './types.js';
import { requeueBlocked } from './worker/requeue-blocked.js';
import { markUnsendable } from './worker/unsendable.js';
import { Worker, type WorkerOptions } from './worker/worker.js';

export type { StorageOptions } from './storage-options.js';

/** Options of the location-based reads: which file of the result. */
export interface LocationOptions {
  /** A variant of the result, by the name it was offloaded with. */
  readonly variant?: string;
}

/** Offload plus location-based access to every backend. */
export class Storage {
  readonly registry: BackendRegistry;
  readonly events: StorageEvents;
  /** The durable record of every result; undefined when the storage keeps none. */
  readonly catalog: Catalog | undefined;
  /** Who this storage is when it holds catalog records (host, process, instance). */
  readonly owner: string;
  readonly #parts: StorageParts;
  readonly #ownsCatalog: boolean;
  /** Offloads in progress: at most twice `concurrency`, so the recording and finishing of some overlap the sending of others. */
  readonly #open: LimitFunction;
  /** Offloads sending and verifying: at most `concurrency`, the load the backend sees. */
  readonly #sending: LimitFunction;
  readonly #inFlight = new Set<Promise<OffloadOutcome>>();
  // Driver writes offload gave up on (timeout, abort) that have not settled yet.
  readonly #lingering = new Set<Promise<unknown>>();
  #worker: Worker | undefined;
  // The first recovery, run before the first offload (by then the app has registered its drivers).
  #recovered: Promise<unknown> | undefined;

  /** Use `createStorage()`. */
  constructor(
    registry: BackendRegistry,
    logger: Logger,
    tuning: ResolvedStorageOptions,
    catalog: { readonly catalog: Catalog | undefined; readonly ownsCatalog: boolean },
  ) {
    this.registry = registry;
    this.events = registry.events;
    this.catalog = catalog.catalog;
    const host = tuning.hostId ?? hostname();
    this.owner = instanceOwner(host);
    this.#ownsCatalog = catalog.ownsCatalog;
    this.#open = pLimit(tuning.concurrency * 2);
    this.#sending = pLimit(tuning.concurrency);
    // A settings change may fix what blocked results waited for: they are due again.
    registry.events.on('settings:changed', () => {
      this.retryBlocked().catch((error: unknown) => {
        logger.warn({ error: errorFacts(error) }, 'could not queue blocked results again after a settings change');
      });
    });
    const journal = new OffloadJournal({
      catalog: this.catalog,
      owner: this.owner,
      leaseMs: tuning.leaseMs,
      schedule: tuning.retry,
      logger,
    });
    this.#parts = {
      registry,
      catalog: this.catalog,
      targets: registry.targets,
      journal,
      owner: this.owner,
      host,
      tuning,
      logger,
      events: this.events,
    };
  }

  /**
   * Sends a finalized result (and its variants) from the results disk to the
   * active backend and reports where it is now. Never throws on storage
   * errors: the outcome is 'local' with `error` set, the file keeps serving
   * from local disk, and the catalog schedules it for the worker. The catalog
   * commit comes first, then `options.onStored` (record `outcome.location`
   * there), then, with delete-local on, the removal of the verified local
   * copies. Throws only on bad input (see `validateOffloadInput`) or a path
   * that is not a regular file inside the results disk; a path whose file is
   * gone because its result is offloaded and its local copy removed is
   * reported from the catalog record instead (status 'offloaded'), and when
   * the catalog cannot be read to tell, its error (UNAVAILABLE) is thrown,
   * since there is no local file to report either.
   */
  async offload(result: OffloadInput, options?: OffloadOptions): Promise<OffloadOutcome> {
    return this.#offload(result, options);
  }

  async #offload(
    result: OffloadInput,
    options?: OffloadOptions,
    held?: { attemptId: string },
  ): Promise<OffloadOutcome> {
    await this.#recoverOnce();
    const linger = (settling: Promise<unknown>) => {
      const tracked = settling.finally(() => this.#lingering.delete(tracked));
      this.#lingering.add(tracked);
    };
    const context = offloadContext(this.#parts, { linger, sendSlot: this.#sending });
    const running = this.#open(() => offloadResult(context, result, options, held));
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
   * leaves a batch half done; one already offloaded and removed locally is
   * reported from its record (see `checkBatchInputs`).
   */
  async offloadMany(results: readonly OffloadInput[], options?: OffloadOptions): Promise<OffloadOutcome[]> {
    await checkBatchInputs(this.registry.local.root, this.catalog, results);
    return Promise.all(results.map((result) => this.offload(result, options)));
  }

  /** Opens the object at `location` (or one of its variants) as a stream, from the target that holds it. */
  async read(location: string, options: ReadOptions & LocationOptions = {}): Promise<Readable> {
    const { variant, ...read } = options;
    const { driver, key } = await this.#resolve(location, variant);
    return driver.read(key, read);
  }

  /** Size, type and metadata of the object at `location`. */
  async stat(location: string, options: LocationOptions = {}): Promise<ObjectStat> {
    const { driver, key } = await this.#resolve(location, options.variant);
    return driver.stat(key);
  }

  /** True when the object at `location` exists; false for a deleted result. */
  async exists(location: string, options: LocationOptions = {}): Promise<boolean> {
    parseLocation(location); // bad input is INVALID_INPUT / INVALID_KEY, never a catalog driver's TypeError
    const record = await this.catalog?.resolve(location);
    if (record?.state === 'deleted') return false;
    const { driver, key } = await this.#resolve(location, options.variant);
    return driver.exists(key);
  }

  /**
   * Deletes the result at `location`: with the catalog, every copy Stowage made (variants included) and the
   * verified local copies, then marks the record deleted; without, the object the location names. Succeeds when
   * it is already gone. An upload that died holding the result is settled by recovery first, so an object it
   * stored goes too (recovery runs once: after this storage's first one, just run, a second would only wait out
   * a backend that is down again).
   */
  async delete(location: string): Promise<void> {
    parseLocation(location); // bad input is INVALID_INPUT / INVALID_KEY, never a catalog driver's TypeError
    const recoverAgain = this.#recovered === undefined ? async () => undefined : () => this.recover();
    await this.#recoverOnce();
    const record = this.catalog && (await recordToDelete(this.catalog, location, this.#parts.host, recoverAgain));
    if (this.catalog && record) {
      await deleteResult(this.catalog, this.#parts.targets, record, {
        owner: this.owner,
        leaseMs: this.#parts.tuning.leaseMs,
        resultsRoot: this.registry.local.root,
      });
      return;
    }
    const { driver, key } = await this.#resolve(location);
    await driver.delete(key);
  }

  /** The public URL of `location`; UNSUPPORTED when its target has no public base. */
  async publicUrl(location: string, options: LocationOptions = {}): Promise<string> {
    const { driver, key } = await this.#resolve(location, options.variant);
    return driver.publicUrl(key);
  }

  /** A time-limited download URL for `location`. */
  async signedUrl(location: string, options: PresignGetOptions & LocationOptions = {}): Promise<PresignedRequest> {
    const { variant, ...presign } = options;
    const { driver, key } = await this.#resolve(location, variant);
    return driver.presignGet(key, { expiresIn: this.#parts.tuning.signedUrlExpiresIn, ...presign });
  }

  /**
   * Signs a browser upload straight to the default backend: refused
   * (INVALID_INPUT) when the type is not allowed or the file is too large, under
   * a key from the provider's key template. See direct-upload.ts.
   */
  async presignUpload(input: UploadRequest): Promise<PlannedUpload> {
    return presignUpload(this.registry, input);
  }

  /**
   * Confirms a finished browser upload (the object is there with the signed
   * size and type) and records it in the catalog; returns its location.
   */
  async recordUpload(input: RecordUploadInput): Promise<RecordedUpload> {
    return recordUpload(this.catalog, this.#parts.targets, input);
  }

  /** The best URL for `location`: public when available, else presigned. */
  async url(location: string, options: LocationOptions = {}): Promise<ObjectUrl> {
    const { driver, key } = await this.#resolve(location, options.variant);
    return objectUrl(driver, key, this.#parts.tuning.signedUrlExpiresIn);
  }

  /**
   * Resolves the intents that dead or hung processes left in the catalog:
   * abandoned uploads are adopted when their bytes are provably complete, else
   * cleaned up and queued again; interrupted deletes are finished. Runs once
   * before the first offload of this storage; the worker runs it on its schedule.
   */
  async recover(): Promise<RecoveryReport> {
    if (!this.catalog) return { adopted: 0, requeued: 0, deletesFinished: 0, cleanupsFinished: 0, deferred: 0 };
    return recoverAbandoned(recoveryContext(this.#parts, this.catalog));
  }

  /** Runs the first `recover()` once; failures are logged, and the worker retries on its schedule. */
  #recoverOnce(): Promise<unknown> {
    this.#recovered ??= this.recover().catch((error: unknown) => {
      this.#parts.logger.warn(
        { error: errorFacts(error) },
        'recovering abandoned catalog intents failed; the worker will retry',
      );
    });
    return this.#recovered;
  }

  /**
   * Starts the in-process worker: results that stayed local for a transient
   * reason are sent again when due (exponential backoff with jitter, persisted
   * in the catalog), abandoned intents are resolved, this server's share of
   * queued migrations is moved and queued reconciles are run. Needs the catalog.
   * Returns the running worker; `stopWorker()` stops it.
   */
  startWorker(options: WorkerOptions = {}): Worker {
    const catalog = requireCatalog(this.#parts, 'the worker');
    if (this.#worker) return this.#worker;
    this.#worker = new Worker(
      {
        catalog,
        owner: this.owner,
        leaseMs: this.#parts.tuning.leaseMs,
        logger: this.#parts.logger,
        offloadClaimed: (input, attemptId) => this.#offload(input, {}, { attemptId }),
        markUnsendable: (record, error) => markUnsendable(catalog, record, error),
        recover: () => this.recover(),
        sweep: (olderThanMs, signal) => this.sweep({ olderThanMs, signal }),
        runQueuedReconcile: (signal) => runQueuedReconcile(this.#reconcileContext(), signal),
        migrationWork: (concurrency) => new MigrationJobs(migrationContext(this.#parts, catalog), concurrency),
      },
      options,
    );
    return this.#worker;
  }

  /** Stops the worker, waiting for the results it is sending. */
  async stopWorker(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.stop();
  }

  /**
   * Sends every blocked result (one that waited for an admin to fix settings)
   * back to the worker's queue, due now. Call it after fixing the settings;
   * the registry's changes do it by themselves.
   */
  async retryBlocked(): Promise<number> {
    const queued = this.catalog ? await requeueBlocked(this.catalog) : 0;
    this.#worker?.poke();
    return queued;
  }

  /**
   * Moves results between providers or targets (local disk included, both
   * ways): each is streamed, verified by size and SHA-256 on the destination,
   * switched in the catalog in one commit, and only then (with `deleteSource`)
   * deleted at the source. Every location handed out keeps resolving, to the
   * new place once switched. Resumable: after a crash, run it again with the
   * same `from` and `to`. Progress as 'migrate:progress' events; one
   * 'migrate:moved' event per result. `dryRun` reports what would move.
   * Throws, before anything is touched, for a bad request: the same target,
   * a disabled or failing destination, a filter that matches nothing.
   */
  async migrate(options: MigrateOptions): Promise<MigrationReport> {
    const catalog = requireCatalog(this.#parts, 'migrating');
    await this.#recoverOnce();
    return migrate(migrationContext(this.#parts, catalog), options);
  }

  /**
   * Queues a migration for the workers of every server sharing the catalog
   * (`startWorker()`) and returns its job id. The request is checked like
   * `migrate()`'s, before anything is touched; the same request while one is
   * unfinished joins that job. Each worker claims its results in batches under
   * leases, so every result moves once, and a server that dies mid-move has its
   * results taken up by the others once their lease has passed.
   * `migrationStatus(id)` tells how far it is, from any server.
   */
  async queueMigration(
    options: Omit<MigrateOptions, 'signal' | 'dryRun' | 'concurrency' | 'bytesPerSecond'>,
  ): Promise<string> {
    const catalog = requireCatalog(this.#parts, 'migrating');
    await this.#recoverOnce();
    const id = await queueMigration(migrationContext(this.#parts, catalog), options);
    this.#worker?.poke();
    return id;
  }

  /**
   * Where a migration job stands (queued with `queueMigration()` or run by
   * `migrate()`, on any server sharing the catalog): results and bytes done,
   * failed, skipped and left, the rate and ETA, failures by code. NOT_FOUND for
   * an unknown job id.
   */
  async migrationStatus(jobId: string): Promise<MigrationJobStatus> {
    const catalog = requireCatalog(this.#parts, 'migrating');
    refuseJobId('migrationStatus', jobId);
    const job = await catalog.getJob(jobId);
    if (job?.kind !== 'migrate') throw new StorageError(ErrorCode.NotFound, `no migration job ${jobId}`);
    return migrationStatus(catalog, job);
  }

  /**
   * Does the target agree with the catalog? Merge-joins the target's listing
   * with the catalog's files of the target, both streamed in UTF-8 byte order
   * (memory stays bounded whatever their size), and walks the results disk for
   * files no record knows. Reports orphans, missing and mismatched objects
   * (size, `sha256` metadata, and with `deep` the bytes). With `fix`, once the
   * settings are proven to still reach the target: deletes orphans older than
   * `graceMs` that no recorded intent names, sends missing results again from
   * their local copy (or marks them `missing`), aborts incomplete uploads older
   * than `graceMs`. Runs as a catalog job under a lease, one server at a time;
   * progress as 'reconcile:progress' events. Throws before anything is touched
   * for bad options, an unknown target, or a target reconciled right now.
   */
  async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    return reconcileNow(this.#reconcileContext(), options);
  }

  /**
   * Queues a reconcile for a worker (of any server sharing the catalog) and
   * returns its job id; the report will be the job's `progress.report`
   * (`storage.catalog.getJob(id)`). Checks the options like `reconcile()`.
   */
  async queueReconcile(options: Omit<ReconcileOptions, 'signal'>): Promise<string> {
    return queueReconcile(this.#reconcileContext(), options);
  }

  /**
   * Aborts incomplete multipart uploads older than `olderThanMs` (default
   * 24 h) in one target, or in every target of every configured provider;
   * `dryRun` names the targets it would sweep and aborts nothing. The worker
   * runs it on its own schedule (`sweepIntervalMs`).
   */
  async sweep(options: SweepOptions = {}): Promise<SweepReport> {
    return sweepTargets(sweepContext(this.#parts), options);
  }

  #reconcileContext(): ReconcileJobContext {
    return reconcileContext(this.#parts, () => this.#worker?.poke());
  }

  /**
   * Every target (every place a provider's bytes live or lived), with how many
   * results and bytes the catalog has in each: what an admin checks before
   * removing anything ("412 results still in bucket old-media"). Of one
   * provider when named: `[]` when its settings were never saved, INVALID_INPUT
   * naming the known providers for a name that is none.
   */
  async targets(provider?: string): Promise<TargetWithCounts[]> {
    return targetsWithCounts(this.registry, this.catalog, provider);
  }

  /**
   * Forgets an old target of a provider. Refused (PRECONDITION_FAILED, naming
   * how many results and which bucket or root) while the catalog still has
   * results there, unless `{ forgetResults: true }`: migrate them first, or
   * accept that their locations stop resolving.
   */
  async removeTarget(id: string, options: { readonly forgetResults?: boolean } = {}): Promise<void> {
    await removeTarget(this.registry, this.catalog, id, options);
  }

  /** Counts from the catalog: by state and target, work in flight, recent failures of live (not deleted) results by code. */
  async stats(options?: { readonly since?: number }): Promise<CatalogStats> {
    refuseStatsOptions(options);
    return requireCatalog(this.#parts, 'stats').stats(options);
  }

  /**
   * Waits for running and queued offloads to settle, and for uploads they gave
   * up on to wind down, then closes the drivers the registry built and the
   * catalog when this storage opened it.
   */
  async close(): Promise<void> {
    await this.stopWorker();
    await Promise.allSettled([...this.#inFlight]);
    await Promise.allSettled([...this.#lingering]);
    await this.#recovered;
    await this.registry.close();
    if (this.#ownsCatalog) await this.catalog?.close();
  }

  #resolve(location: string, variant?: string) {
    return resolveLocation(this.catalog, this.#parts.targets, location, variant);
  }
}
