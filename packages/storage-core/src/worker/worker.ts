/**
 * The re-offload worker: sends results that stayed local for a transient
 * reason once their time has come (the schedule lives in the catalog, so a
 * restart continues it), resolves abandoned intents, moves its share of
 * queued migrations, runs queued reconcile jobs, and sweeps incomplete
 * multipart uploads. It claims each result (and
 * job) before touching it, so several workers (on one server or many sharing
 * a catalog) and manual offloads never send or delete the same result at once.
 */
import type { Catalog, ResultRecord } from '../catalog/types.js';
import { ErrorCode, isStorageError, StorageError } from '../errors.js';
import { DEFAULT_SWEEP_AGE_MS } from '../incomplete-uploads.js';
import { errorFacts, type Logger } from '../logger.js';
import type { OffloadInput, OffloadOutcome } from '../offload/types.js';
import { unknownOptionProblems } from '../option-problems.js';

/** Worker tuning. */
export interface WorkerOptions {
  /** Results sent at once. Default 2. */
  readonly concurrency?: number;
  /** How often the catalog is asked for due work, in milliseconds. Default 1,000. */
  readonly pollIntervalMs?: number;
  /** How often abandoned intents are looked for, in milliseconds. Default 30,000. */
  readonly recoveryIntervalMs?: number;
  /** How long a claim is held without renewal. Default: the storage's lease. */
  readonly leaseMs?: number;
  /**
   * How often incomplete multipart uploads are swept in every target (see
   * `storage.sweep()`), in milliseconds; the first sweep runs when the worker
   * starts. Default 3,600,000 (hourly); `false` turns the sweep off.
   */
  readonly sweepIntervalMs?: number | false;
  /** The age beyond which the sweep aborts an incomplete upload, in milliseconds. Default 24 h. */
  readonly sweepOlderThanMs?: number;
  /** Run reconcile jobs queued with `storage.queueReconcile()` (by any server sharing the catalog). Default true. */
  readonly reconcileJobs?: boolean;
  /** How often the catalog is asked for a queued reconcile job, in milliseconds. Default 5,000. */
  readonly jobPollIntervalMs?: number;
  /**
   * Move results of migrations queued with `storage.queueMigration()` (by any server sharing
   * the catalog), claimed in batches under leases. Default true.
   */
  readonly migrationJobs?: boolean;
  /** Results of queued migrations moved at once, besides the offloads. Default 2. */
  readonly migrationConcurrency?: number;
}

/** The worker's share of queued migrations (see `migrate/job-runner.ts`). */
export interface MigrationWork {
  /** Claims records for the free slots and starts moving them. */
  fill(): Promise<void>;
  /** Stops claiming and waits for the moves in flight. */
  stop(): Promise<void>;
}

/** What the worker drives: the storage's own operations. */
export interface WorkerHost {
  readonly catalog: Catalog;
  readonly owner: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  /** Offloads `input` under the claim `attemptId` the worker holds. */
  offloadClaimed(input: OffloadInput, attemptId: string): Promise<OffloadOutcome>;
  /** Settles a claimed record that cannot be sent at all (its files are gone or no longer acceptable). */
  markUnsendable(record: ResultRecord, error: unknown): Promise<void>;
  /** Resolves abandoned intents. */
  recover(): Promise<unknown>;
  /** Aborts the incomplete uploads older than `olderThanMs` in every target. */
  sweep(olderThanMs: number, signal: AbortSignal): Promise<unknown>;
  /** Runs one queued reconcile job, if there is one; true when it did. */
  runQueuedReconcile(signal: AbortSignal): Promise<boolean>;
  /** The mover of queued migrations' results, `concurrency` at a time. */
  migrationWork(concurrency: number): MigrationWork;
}

/** A running worker; see `Storage.startWorker()`. */
export class Worker {
  readonly #host: WorkerHost;
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #recoveryMs: number;
  readonly #leaseMs: number;
  readonly #sweepMs: number | false;
  readonly #sweepAgeMs: number;
  readonly #jobPollMs: number | false;
  readonly #migrations: MigrationWork | undefined;
  readonly #running = new Set<Promise<void>>();
  // Stops a sweep or reconcile job in progress when the worker stops (a stopped job goes back to the queue).
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastRecovery = 0;
  #lastSweep = 0;
  #lastJobPoll = 0;
  #ticking: Promise<void> | undefined;
  #sweeping: Promise<void> | undefined;
  #reconciling: Promise<void> | undefined;

  /** INVALID_INPUT for bad options, before the worker starts. */
  constructor(host: WorkerHost, options: WorkerOptions = {}) {
    refuseWorkerOptions(options);
    this.#host = host;
    this.#concurrency = options.concurrency ?? 2;
    this.#pollMs = options.pollIntervalMs ?? 1000;
    this.#recoveryMs = options.recoveryIntervalMs ?? 30_000;
    this.#leaseMs = options.leaseMs ?? host.leaseMs;
    this.#sweepMs = options.sweepIntervalMs ?? 3_600_000;
    this.#sweepAgeMs = options.sweepOlderThanMs ?? DEFAULT_SWEEP_AGE_MS;
    this.#jobPollMs = options.reconcileJobs === false ? false : (options.jobPollIntervalMs ?? 5000);
    this.#migrations =
      options.migrationJobs === false ? undefined : host.migrationWork(options.migrationConcurrency ?? 2);
    this.#schedule(0);
  }

  /** Stops taking work and waits for the results being sent to settle (a sweep or reconcile job in progress is stopped). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopping.abort(new StorageError(ErrorCode.Aborted, 'the worker stopped'));
    await this.#ticking;
    await Promise.allSettled([...this.#running, this.#sweeping, this.#reconciling, this.#migrations?.stop()]);
  }

  /** Asks for due work now instead of at the next poll. */
  poke(): void {
    if (this.#stopped || this.#ticking) return;
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        this.#schedule(this.#pollMs);
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const { catalog, logger } = this.#host;
    this.#startSweep();
    this.#startReconcileJob();
    void this.#migrations?.fill();
    try {
      if (Date.now() - this.#lastRecovery >= this.#recoveryMs) {
        this.#lastRecovery = Date.now();
        await this.#host.recover();
      }
      const free = this.#concurrency - this.#running.size;
      if (free <= 0 || this.#stopped) return;
      const claimed = await catalog.claim({
        select: { due: true },
        kind: 'offload',
        owner: this.#host.owner,
        leaseMs: this.#leaseMs,
        limit: free,
      });
      for (const record of claimed) this.#start(record);
    } catch (error) {
      logger.warn({ error: errorFacts(error) }, 'the offload worker could not take work; it tries again');
    }
  }

  // In the background: a slow or unreachable backend must not hold up sending results.
  #startSweep(): void {
    if (this.#sweepMs === false || this.#sweeping || Date.now() - this.#lastSweep < this.#sweepMs) return;
    this.#lastSweep = Date.now();
    this.#sweeping = this.#host
      .sweep(this.#sweepAgeMs, this.#stopping.signal)
      .then(
        () => undefined,
        (error: unknown) => {
          this.#host.logger.warn({ error: errorFacts(error) }, 'the worker could not sweep incomplete uploads');
        },
      )
      .finally(() => {
        this.#sweeping = undefined;
      });
  }

  #startReconcileJob(): void {
    if (this.#jobPollMs === false || this.#reconciling || Date.now() - this.#lastJobPoll < this.#jobPollMs) return;
    this.#lastJobPoll = Date.now();
    this.#reconciling = this.#host
      .runQueuedReconcile(this.#stopping.signal)
      .then(
        // Right after a job, look for the next one.
        (ran) => {
          if (ran) this.#lastJobPoll = 0;
        },
        (error: unknown) => {
          this.#host.logger.warn({ error: errorFacts(error) }, 'the worker could not take a reconcile job');
        },
      )
      .finally(() => {
        this.#reconciling = undefined;
      });
  }

  #start(record: ResultRecord): void {
    const job = this.#send(record).finally(() => {
      this.#running.delete(job);
      this.poke();
    });
    this.#running.add(job);
  }

  async #send(record: ResultRecord): Promise<void> {
    const { logger } = this.#host;
    const attemptId = record.intent?.attemptId as string;
    try {
      await this.#host.offloadClaimed(inputOf(record), attemptId);
    } catch (error) {
      // offload throws for input it refuses (the files are gone, or no longer regular files inside the
      // disk): the result cannot be sent. A transient failure it let through (the catalog, failing
      // meanwhile) must not give the result up: the claim's lease runs out and recovery requeues it.
      if (isStorageError(error) && error.retryable) {
        logger.warn(
          { key: record.path, error: errorFacts(error) },
          'the offload worker could not send a result; it is tried again once its claim expires',
        );
        return;
      }
      logger.warn({ key: record.path, error: errorFacts(error) }, 'the offload worker cannot send a result');
      await this.#host.markUnsendable(record, error).catch(() => undefined);
    }
  }
}

// Every option the worker reads: a misspelt one would otherwise be ignored without a word.
const WORKER_OPTIONS: ReadonlySet<string> = new Set<keyof WorkerOptions>([
  'concurrency',
  'pollIntervalMs',
  'recoveryIntervalMs',
  'leaseMs',
  'sweepIntervalMs',
  'sweepOlderThanMs',
  'reconcileJobs',
  'jobPollIntervalMs',
  'migrationJobs',
  'migrationConcurrency',
]);

function refuseWorkerOptions(options: WorkerOptions): void {
  const problems = workerOptionsProblems(options);
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `worker options: ${problems.join('; ')}`);
}

/**
 * Every problem with the worker's options. A concurrency of 0 would never send
 * anything, a poll interval below zero or not a number would poll without
 * pause, and a lease under a second would expire while a result is sent.
 */
function workerOptionsProblems(options: WorkerOptions): string[] {
  if (typeof options !== 'object' || options === null) return ['options must be an object'];
  const problems = unknownOptionProblems(options, WORKER_OPTIONS);
  const atLeast = (name: keyof WorkerOptions, value: unknown, min: number) => {
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= min)) {
      problems.push(`${name}: must be a number of milliseconds, at least ${min}`);
    }
  };
  atLeast('pollIntervalMs', options.pollIntervalMs, 10);
  atLeast('recoveryIntervalMs', options.recoveryIntervalMs, 100);
  if (options.leaseMs !== undefined && !(Number.isInteger(options.leaseMs) && options.leaseMs >= 1000)) {
    problems.push('leaseMs: must be a whole number of milliseconds, at least 1000');
  }
  if (options.sweepIntervalMs !== false) atLeast('sweepIntervalMs', options.sweepIntervalMs, 1000);
  atLeast('sweepOlderThanMs', options.sweepOlderThanMs, 0);
  atLeast('jobPollIntervalMs', options.jobPollIntervalMs, 100);
  for (const name of ['reconcileJobs', 'migrationJobs'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      problems.push(`${name}: must be true or false`);
  }
  const { concurrency, migrationConcurrency } = options;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    problems.push('concurrency: must be a whole number, at least 1');
  }
  if (
    migrationConcurrency !== undefined &&
    !(Number.isInteger(migrationConcurrency) && migrationConcurrency >= 1 && migrationConcurrency <= 64)
  ) {
    problems.push('migrationConcurrency: must be a whole number from 1 to 64');
  }
  return problems;
}

/** The offload input a record was made from: its original, variants, content types and metadata. */
export function inputOf(record: ResultRecord): OffloadInput {
  const [original, ...variants] = record.files;
  return {
    path: record.path,
    ...(original?.contentType ? { contentType: original.contentType } : {}),
    ...(Object.keys(record.metadata).length > 0 ? { metadata: record.metadata } : {}),
    ...(variants.length > 0
      ? {
          variants: Object.fromEntries(
            variants.map((variant) => [
              variant.name,
              variant.contentType ? { path: variant.path, contentType: variant.contentType } : variant.path,
            ]),
          ),
        }
      : {}),
  };
}
