/**
 * A reconcile is a catalog job (kind 'reconcile'), so that servers sharing a
 * catalog run each one once, one server at a time: the server running it
 * holds the job under a lease it renews (keeping the latest progress in the
 * job as it does), and a job whose server died is taken over by another
 * server's worker once the lease has passed (`claimJob`). The final report is
 * kept as the job's `progress.report`. A reconcile does not resume: a
 * taken-over job starts the comparison again.
 */
import type { Catalog, CatalogJob, JobChanges } from '../catalog/types.js';
import { abortedError, asStorageError, ErrorCode, StorageError } from '../errors.js';
import { errorFacts } from '../logger.js';
import { jobParams, planFromJob, planReconcile, type ReconcileOptions, type ReconcilePlan } from './options.js';
import { type ReconcileContext, reconcileTarget } from './reconcile.js';
import type { ReconcileProgress, ReconcileReport } from './report.js';

/** What running reconcile jobs needs. */
export interface ReconcileJobContext extends ReconcileContext {
  readonly owner: string;
  readonly leaseMs: number;
}

const WAIT_POLL_MS = 500;
const TAKEN = 'the job was changed by someone else (taken over after its lease passed, or cancelled)';

/**
 * `storage.reconcile()`: checks the request, refuses while another server
 * reconciles the same target, creates the job and runs it here. Should
 * another server's worker take the new job first, waits for its report.
 */
export async function reconcileNow(context: ReconcileJobContext, options: ReconcileOptions): Promise<ReconcileReport> {
  const plan = planReconcile(context.targets, options);
  const running = await runningReconcileOf(context.catalog, plan.target);
  if (running) {
    throw new StorageError(
      ErrorCode.PreconditionFailed,
      `reconcile: target "${plan.target}" is being reconciled already (job ${running.id}, by ${running.owner}); its report will be that job's progress.report`,
      { details: { target: plan.target, jobId: running.id } },
    );
  }
  const created = await context.catalog.createJob({ kind: 'reconcile', params: jobParams(plan) });
  const held = await context.catalog.updateJob(created.id, created.version, {
    state: 'running',
    owner: context.owner,
    leaseUntil: Date.now() + context.leaseMs,
  });
  if (!held) return awaitReport(context.catalog, created.id, options.signal);
  return runHeldJob(context, held, plan, { signal: options.signal, onCancel: 'cancelled' });
}

/** `storage.queueReconcile()`: checks the request and queues it for a worker (of any server); returns the job id. */
export async function queueReconcile(context: ReconcileJobContext, options: ReconcileOptions): Promise<string> {
  if (options?.signal !== undefined) {
    throw new StorageError(ErrorCode.InvalidInput, 'queueReconcile: a queued reconcile takes no signal');
  }
  const plan = planReconcile(context.targets, options);
  return (await context.catalog.createJob({ kind: 'reconcile', params: jobParams(plan) })).id;
}

/**
 * For the worker: takes the oldest queued reconcile job (or one whose server
 * died) and runs it. A job whose target another server is reconciling now
 * goes back to the queue, and so does one stopped by `signal` (the worker
 * stopping), for another server to run. Returns false when there was nothing to run.
 */
export async function runQueuedReconcile(context: ReconcileJobContext, signal?: AbortSignal): Promise<boolean> {
  const { catalog, logger } = context;
  const job = await catalog.claimJob({ kind: 'reconcile', owner: context.owner, leaseMs: context.leaseMs });
  if (!job) return false;
  let plan: ReconcilePlan;
  try {
    plan = planFromJob(context.targets, job.params);
  } catch (error) {
    await catalog.updateJob(job.id, job.version, failedChanges(error)).catch(() => undefined);
    logger.warn({ jobId: job.id, error: errorFacts(error) }, 'a queued reconcile cannot run; its job failed');
    return true;
  }
  if (await runningReconcileOf(catalog, plan.target, job.id)) {
    await catalog.updateJob(job.id, job.version, { state: 'queued', owner: null, leaseUntil: null });
    return false;
  }
  try {
    await runHeldJob(context, job, plan, { signal, onCancel: 'queued' });
  } catch (error) {
    logger.warn({ jobId: job.id, target: plan.target, error: errorFacts(error) }, 'a queued reconcile failed');
  }
  return true;
}

/** Runs the held `job` under its renewed lease and records how it ended. */
async function runHeldJob(
  context: ReconcileJobContext,
  job: CatalogJob,
  plan: ReconcilePlan,
  run: { readonly signal: AbortSignal | undefined; readonly onCancel: 'cancelled' | 'queued' },
): Promise<ReconcileReport> {
  const lease = new JobLease(context, job);
  try {
    const report = await reconcileTarget(context, plan, {
      jobId: job.id,
      signal: run.signal,
      halt: lease.lost,
      onProgress: (progress) => lease.keep(progress),
    });
    await lease.finish(
      report.state === 'done'
        ? { state: 'done', progress: { report } }
        : run.onCancel === 'queued'
          ? { state: 'queued', owner: null, progress: {} }
          : { state: 'cancelled', progress: { report } },
    );
    context.logger.info(
      { jobId: job.id, target: plan.target, orphans: report.orphans.count, missing: report.missing.count },
      'reconcile finished',
    );
    return report;
  } catch (error) {
    await lease.finish(failedChanges(error)).catch(() => undefined);
    throw asStorageError(error);
  }
}

/** A running reconcile of `target` whose lease has not passed (other than `except`). */
async function runningReconcileOf(catalog: Catalog, target: string, except?: string): Promise<CatalogJob | undefined> {
  const now = Date.now();
  const running = await catalog.listJobs({ kind: 'reconcile', state: 'running' });
  return running.find((job) => job.id !== except && job.params.target === target && (job.leaseUntil ?? 0) > now);
}

/** Waits for a job another server runs; its report, or its failure. */
async function awaitReport(catalog: Catalog, id: string, signal: AbortSignal | undefined): Promise<ReconcileReport> {
  for (;;) {
    if (signal?.aborted) throw abortedError(signal);
    const job = await catalog.getJob(id);
    if (job?.state === 'failed') {
      throw new StorageError((job.lastError?.code as ErrorCode) ?? ErrorCode.Unknown, job.lastError?.message ?? '');
    }
    const report = job?.progress.report as ReconcileReport | undefined;
    if (report && (job?.state === 'done' || job?.state === 'cancelled')) return report;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

function failedChanges(error: unknown): JobChanges {
  const failure = asStorageError(error);
  return { state: 'failed', lastError: { code: failure.code, message: failure.message, at: Date.now() } };
}

/**
 * The lease on a running job: renewed every third of its length, with the
 * latest progress. When a renewal finds the job changed by someone else (taken
 * over after a stall, or cancelled), or the lease ran out unrenewed, `lost`
 * fires and the run stops before it changes anything more.
 */
class JobLease {
  readonly #catalog: Catalog;
  readonly #leaseMs: number;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #job: CatalogJob;
  #progress: ReconcileProgress | undefined;
  #renewing: Promise<void> | undefined;

  constructor(context: ReconcileJobContext, job: CatalogJob) {
    this.#catalog = context.catalog;
    this.#leaseMs = context.leaseMs;
    this.#job = job;
    this.#timer = setInterval(
      () => {
        this.#renewing ??= this.#renew().finally(() => {
          this.#renewing = undefined;
        });
      },
      Math.max(250, Math.floor(context.leaseMs / 3)),
    );
    this.#timer.unref();
  }

  /** Fires when the job is no longer this server's to run. */
  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  /** Keeps `progress` for the next renewal. */
  keep(progress: ReconcileProgress): void {
    this.#progress = progress;
  }

  /** Stops renewing and records how the job ended; throws when the job is no longer ours. */
  async finish(changes: JobChanges): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    if (!this.#controller.signal.aborted) {
      const ended = await this.#catalog.updateJob(this.#job.id, this.#job.version, { ...changes, leaseUntil: null });
      if (ended) return;
      this.#lose(TAKEN);
    }
    throw this.#controller.signal.reason;
  }

  async #renew(): Promise<void> {
    try {
      const renewed = await this.#catalog.updateJob(this.#job.id, this.#job.version, {
        leaseUntil: Date.now() + this.#leaseMs,
        ...(this.#progress ? { progress: { progress: { ...this.#progress } } } : {}),
      });
      if (renewed) this.#job = renewed;
      else this.#lose(TAKEN);
    } catch (error) {
      if (Date.now() >= (this.#job.leaseUntil ?? 0))
        this.#lose(`its lease could not be renewed: ${asStorageError(error).message}`);
    }
  }

  #lose(why: string): void {
    clearInterval(this.#timer);
    this.#controller.abort(
      new StorageError(ErrorCode.PreconditionFailed, `reconcile job ${this.#job.id} stopped: ${why}`, {
        details: { jobId: this.#job.id },
      }),
    );
  }
}
