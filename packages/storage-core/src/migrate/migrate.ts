/**
 * Migrating results between providers and targets (docs/architecture.md,
 * "Migrate"). The migration is a catalog job; its results are the records
 * queued with the job's id, claimed one at a time, so a migration killed at
 * any moment resumes where it stopped (run it again with the same from/to),
 * and several servers can share one. Every location handed out keeps
 * resolving: to the old place until a result's record switches, to the new
 * place after.
 */
import type { CatalogJob } from '../catalog/types.js';
import { asStorageError } from '../errors.js';
import { emitSafely, type StorageEvents } from '../events.js';
import { errorFacts, type Logger } from '../logger.js';
import { type MovedResult, moveResult } from './move-result.js';
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

/** The unfinished job with the same request (to resume), or a new one; its results queued either way. */
async function jobFor(context: MigrationContext, plan: MigrationPlan): Promise<CatalogJob> {
  let job = plan.unfinished ?? (await context.catalog.createJob({ kind: 'migrate', params: jobParams(plan) }));
  await context.catalog.queueForMigration(job.id, plan.query);
  if (job.state === 'queued') job = (await context.catalog.updateJob(job.id, job.version, { state: 'running' })) ?? job;
  return job;
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
    const current = await catalog.getJob(this.#job.id);
    if (current && current.state !== 'done') {
      await catalog.updateJob(current.id, current.version, { state: 'done', progress: { ...this.progress() } });
    }
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

  #start(record: Parameters<typeof moveResult>[2]): void {
    const job = this.#moveOne(record).finally(() => this.#running.delete(job));
    this.#running.add(job);
  }

  async #moveOne(record: Parameters<typeof moveResult>[2]): Promise<void> {
    const { catalog, events, logger } = this.#context;
    let moved: MovedResult;
    try {
      moved = await moveResult(
        {
          catalog,
          targets: this.#context.targets,
          resultsRoot: this.#context.resultsRoot,
          limit: this.#limit,
          signal: this.#signal,
        },
        this.#plan,
        record,
      );
    } catch (cause) {
      const error = asStorageError(cause, record.path);
      this.#failed++;
      this.#failures[error.code] = (this.#failures[error.code] ?? 0) + 1;
      logger.warn(
        { key: record.path, error: errorFacts(error) },
        'a result could not be migrated; it stays where it was',
      );
      emitSafely(events, logger, 'migrate:failed', {
        jobId: this.#job.id,
        resultId: record.id,
        path: record.path,
        code: error.code,
        message: error.message,
      });
      await this.#release(record, error);
      this.#report(false);
      return;
    }
    this.#done++;
    this.#bytesDone += moved.bytes;
    if (moved.sourceDeleteError) {
      logger.warn(
        { key: record.path, error: errorFacts(moved.sourceDeleteError) },
        'a migrated result could not be deleted at its source; reconcile will find the copy',
      );
    }
    emitSafely(events, logger, 'migrate:moved', {
      jobId: this.#job.id,
      resultId: record.id,
      path: record.path,
      from: moved.from,
      to: moved.to,
      bytes: moved.bytes,
    });
    this.#report(false);
  }

  // A failed result leaves the queue with its reason; running the migration again queues it again.
  async #release(record: Parameters<typeof moveResult>[2], error: ReturnType<typeof asStorageError>): Promise<void> {
    const { catalog } = this.#context;
    const current = await catalog.get(record.id);
    if (!current || current.intent?.attemptId !== record.intent?.attemptId) return;
    await catalog
      .update(current.id, current.version, {
        intent: null,
        migrationId: null,
        lastError: { code: error.code, message: error.message, at: Date.now() },
      })
      .catch(() => undefined);
  }

  #report(final: boolean): void {
    const now = performance.now();
    if (!final && now - this.#lastProgress < PROGRESS_EVERY_MS) return;
    this.#lastProgress = now;
    emitSafely(this.#context.events, this.#context.logger, 'migrate:progress', this.progress());
  }
}
