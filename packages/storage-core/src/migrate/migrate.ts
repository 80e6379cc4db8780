/**
 * Migrating results between providers and targets (docs/architecture.md,
 * "Migrate"). The migration is a catalog job; its results are the records
 * queued with the job's id, claimed one at a time, so a migration killed at
 * any moment resumes where it stopped (run it again with the same from/to),
 * and several servers can share one. Every location handed out keeps
 * resolving: to the old place until a result's record switches, to the new
 * place after.
 */
import type { CatalogJob, ResultRecord } from '../catalog/types.js';
import { ErrorCode, StorageError } from '../errors.js';
import { emitSafely, type StorageEvents } from '../events.js';
import type { Logger } from '../logger.js';
import { moveClaimed } from './claimed-move.js';
import { finishIfDrained, queueResults } from './job-progress.js';
import { jobParams, type MigrateOptions, type MigrationPlan, type PlanContext, planMigration } from './plan.js';
import { ByteRateLimit } from './throttle.js';

/** Counts of a migration as it runs. */
export interface MigrationProgress {
  readonly jobId: string | undefined;
  readonly results: { readonly done: number; readonly failed: number; readonly total: number };
  readonly bytes: { readonly done: number; readonly total: number };
  /** Bytes per second since this run began. */
  readonly bytesPerSecond: number;
  /** Estimated milliseconds left, from the rate so far; undefined until something moved. */
  readonly etaMs: number | undefined;
  /** Failed results by error code. */
  readonly failures: Readonly<Record<string, number>>;
}

/** What `storage.migrate()` reports at the end. */
export interface MigrationReport extends MigrationProgress {
  /** 'dry-run': nothing was touched; 'cancelled': stopped by the signal (run it again to resume). */
  readonly state: 'done' | 'cancelled' | 'dry-run';
  readonly from: readonly string[];
  readonly to: string;
  readonly durationMs: number;
}

/** What a migration needs from the storage. */
export interface MigrationContext extends PlanContext {
  readonly owner: string;
  readonly leaseMs: number;
  readonly resultsRoot: string;
  readonly events: StorageEvents;
  readonly logger: Logger;
}

const IDLE_POLL_MS = 200;
const PROGRESS_EVERY_MS = 250;

/** Plans, then runs (or resumes) a migration; see `MigrateOptions`. Throws for bad requests before touching anything. */
export async function migrate(context: MigrationContext, options: MigrateOptions): Promise<MigrationReport> {
  const started = performance.now();
  const plan = await planMigration(context, options);
  if (options.dryRun) {
    return {
      jobId: undefined,
      state: 'dry-run',
      from: plan.fromTargets,
      to: plan.toTarget,
      results: { done: 0, failed: 0, total: plan.matching.results },
      bytes: { done: 0, total: plan.matching.bytes },
      bytesPerSecond: 0,
      etaMs: undefined,
      failures: {},
      durationMs: Math.round(performance.now() - started),
    };
  }
  const job = await jobFor(context, plan);
  const run = new MigrationRun(context, plan, job, options.signal);
  const state = await run.complete();
  return {
    ...run.progress(),
    state,
    from: plan.fromTargets,
    to: plan.toTarget,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * `storage.queueMigration()`: checks the request like `migrate()` (the same
 * refusals, the destination's connection test), queues its results in a job
 * and returns the job id, for the workers of every server sharing the catalog.
 */
export async function queueMigration(
  context: MigrationContext,
  options: Omit<MigrateOptions, 'signal' | 'dryRun' | 'concurrency' | 'bytesPerSecond'>,
): Promise<string> {
  const refused = (['signal', 'dryRun', 'concurrency', 'bytesPerSecond'] as const).filter(
    (name) => (options as MigrateOptions | undefined)?.[name] !== undefined,
  );
  if (refused.length > 0) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `queueMigration: ${refused.join(', ')}: a queued migration runs on the workers, at each worker's migrationConcurrency; use migrate() for these`,
    );
  }
  const plan = await planMigration(context, options);
  return (await jobFor(context, plan)).id;
}

/**
 * The unfinished job with the same request (to resume), or a new one; its
 * results queued either way, then the job set running (workers take only
 * running jobs, so none finishes a job before its results are queued).
 */
async function jobFor(context: MigrationContext, plan: MigrationPlan): Promise<CatalogJob> {
  const { catalog } = context;
  const job = plan.unfinished ?? (await catalog.createJob({ kind: 'migrate', params: jobParams(plan) }));
  await queueResults(catalog, job);
  for (;;) {
    const current = await catalog.getJob(job.id);
    if (!current) throw new StorageError(ErrorCode.NotFound, `migration job ${job.id} disappeared`);
    // A server may have found the job drained and finished it while more results were queued.
    const reopen =
      current.state === 'queued' ||
      (current.state === 'done' && (await catalog.count({ migrationId: job.id })).results > 0);
    if (!reopen) return current;
    const running = await catalog.updateJob(current.id, current.version, { state: 'running' });
    if (running) return running;
  }
}

/** One run over a migration job's queued results, at most `concurrency` at a time. */
class MigrationRun {
  readonly #context: MigrationContext;
  readonly #plan: MigrationPlan;
  readonly #job: CatalogJob;
  readonly #signal: AbortSignal | undefined;
  readonly #limit: ByteRateLimit | undefined;
  readonly #started = performance.now();
  readonly #running = new Set<Promise<void>>();
  readonly #failures: Record<string, number> = {};
  #done = 0;
  #failed = 0;
  #bytesDone = 0;
  #total = { results: 0, bytes: 0 };
  #lastProgress = 0;

  constructor(context: MigrationContext, plan: MigrationPlan, job: CatalogJob, signal: AbortSignal | undefined) {
    this.#context = context;
    this.#plan = plan;
    this.#job = job;
    this.#signal = signal;
    this.#limit = plan.bytesPerSecond === undefined ? undefined : new ByteRateLimit(plan.bytesPerSecond);
  }

  /** Moves every queued result; 'cancelled' when the signal stopped it first. */
  async complete(): Promise<'done' | 'cancelled'> {
    const { catalog } = this.#context;
    this.#total = await catalog.count({ migrationId: this.#job.id });
    for (;;) {
      if (this.#signal?.aborted) break;
      const free = this.#plan.concurrency - this.#running.size;
      const claimed =
        free > 0
          ? await catalog.claim({
              select: { migrationId: this.#job.id },
              kind: 'migrate',
              owner: this.#context.owner,
              leaseMs: this.#context.leaseMs,
              limit: free,
            })
          : [];
      for (const record of claimed) this.#start(record);
      if (claimed.length > 0 && this.#running.size < this.#plan.concurrency) continue;
      if (this.#running.size > 0) {
        await Promise.race(this.#running);
        continue;
      }
      // Nothing to claim and nothing running here: done, unless other servers still hold some.
      if ((await catalog.count({ migrationId: this.#job.id })).results === 0) break;
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
    await Promise.allSettled([...this.#running]);
    this.#report(true);
    if (this.#signal?.aborted) return 'cancelled';
    await finishIfDrained(catalog, this.#job.id);
    return 'done';
  }

  progress(): MigrationProgress {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? this.#bytesDone / seconds : 0;
    const left = Math.max(0, this.#total.bytes - this.#bytesDone);
    return {
      jobId: this.#job.id,
      results: { done: this.#done, failed: this.#failed, total: this.#total.results },
      bytes: { done: this.#bytesDone, total: this.#total.bytes },
      bytesPerSecond: Math.round(rate),
      etaMs: rate > 0 ? Math.round((left / rate) * 1000) : undefined,
      failures: { ...this.#failures },
    };
  }

  #start(record: ResultRecord): void {
    const job = this.#moveOne(record).finally(() => this.#running.delete(job));
    this.#running.add(job);
  }

  async #moveOne(record: ResultRecord): Promise<void> {
    const outcome = await moveClaimed(
      { ...this.#context, limit: this.#limit, signal: this.#signal },
      this.#plan,
      this.#job.id,
      record,
    );
    if (outcome.kind === 'failed') {
      this.#failed++;
      this.#failures[outcome.error.code] = (this.#failures[outcome.error.code] ?? 0) + 1;
    } else if (outcome.kind === 'moved') {
      this.#done++;
      this.#bytesDone += outcome.moved.bytes;
    }
    this.#report(false);
  }

  #report(final: boolean): void {
    const now = performance.now();
    if (!final && now - this.#lastProgress < PROGRESS_EVERY_MS) return;
    this.#lastProgress = now;
    emitSafely(this.#context.events, this.#context.logger, 'migrate:progress', this.progress());
  }
}
