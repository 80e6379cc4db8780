/**
 * The progress of a migration job, readable by every server sharing the
 * catalog. The job keeps only what the catalog cannot tell by itself: how many
 * results (and bytes) were queued, and how many failed or were skipped, each
 * added by compare-and-set right before the record leaves the queue. What is
 * left is counted live (`count({ migrationId })`), so what is done is exact
 * too: queued minus left minus failed minus skipped. A server killed mid-run
 * loses no count, since a moved record leaves the queue in the very commit
 * that switches it.
 */
import type { Catalog, CatalogJob, JobState } from '../catalog/types.js';
import { ErrorCode, StorageError } from '../errors.js';

/** Where a migration job stands, as any server sharing the catalog sees it (`storage.migrationStatus(id)`). */
export interface MigrationJobStatus {
  readonly jobId: string;
  /** 'running' while results are queued; 'done' once none is left. */
  readonly state: JobState;
  readonly from: readonly string[];
  readonly to: string;
  readonly deleteSource: boolean;
  /**
   * `skipped`: results that had left their source before their turn came (re-offloaded,
   * deleted, moved by another migration); `left`: still queued, in flight included.
   */
  readonly results: {
    readonly done: number;
    readonly failed: number;
    readonly skipped: number;
    readonly left: number;
    readonly total: number;
  };
  readonly bytes: { readonly done: number; readonly left: number; readonly total: number };
  /** Bytes per second since the job was queued. */
  readonly bytesPerSecond: number;
  /** Estimated milliseconds left, from that rate; undefined until something moved. */
  readonly etaMs: number | undefined;
  /** Failed results by error code. */
  readonly failures: Readonly<Record<string, number>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Tally {
  readonly results: number;
  readonly bytes: number;
}

/** What the job row keeps, in `progress`. */
interface KeptProgress {
  readonly queued: Tally;
  readonly failed: Tally;
  readonly skipped: Tally;
  readonly failures: Readonly<Record<string, number>>;
}

const NONE: Tally = { results: 0, bytes: 0 };
const CHANGE_TRIES = 50;

function kept(job: CatalogJob): KeptProgress {
  const progress = job.progress as Partial<KeptProgress>;
  return {
    queued: progress.queued ?? NONE,
    failed: progress.failed ?? NONE,
    skipped: progress.skipped ?? NONE,
    failures: progress.failures ?? {},
  };
}

const plus = (a: Tally, b: Tally): Tally => ({ results: a.results + b.results, bytes: a.bytes + b.bytes });

/** Applies `change` to the job's kept progress by compare-and-set, trying again while other servers win. */
async function changeProgress(
  catalog: Catalog,
  jobId: string,
  change: (progress: KeptProgress) => KeptProgress,
): Promise<CatalogJob> {
  for (let tries = 0; tries < CHANGE_TRIES; tries++) {
    const job = await catalog.getJob(jobId);
    if (!job) throw new StorageError(ErrorCode.NotFound, `migration job ${jobId} does not exist`);
    const updated = await catalog.updateJob(job.id, job.version, { progress: { ...change(kept(job)) } });
    if (updated) return updated;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (tries + 1)));
  }
  throw new StorageError(ErrorCode.Unavailable, `migration job ${jobId}: its progress kept changing; try again`);
}

/**
 * Queues every record matching the job's query for it (see `catalog.queueForMigration`)
 * and adds them to its total; returns how many were queued.
 */
export async function queueResults(catalog: Catalog, job: CatalogJob): Promise<number> {
  const query = (job.params as { query: Parameters<Catalog['count']>[0] }).query;
  const before = await catalog.count({ migrationId: job.id });
  const queued = await catalog.queueForMigration(job.id, query ?? {});
  if (queued === 0) return 0;
  const after = await catalog.count({ migrationId: job.id });
  // Exact for a new job (no server moves its results before it runs); for a running one
  // being queued again, moves finishing between the two counts blur the bytes a little.
  const bytes = Math.max(0, after.bytes - before.bytes);
  await changeProgress(catalog, job.id, (progress) => ({
    ...progress,
    queued: plus(progress.queued, { results: queued, bytes }),
  }));
  return queued;
}

/** Counts a result that left the queue failed (call before releasing it). */
export async function countFailed(catalog: Catalog, jobId: string, bytes: number, code: string): Promise<void> {
  await changeProgress(catalog, jobId, (progress) => ({
    ...progress,
    failed: plus(progress.failed, { results: 1, bytes }),
    failures: { ...progress.failures, [code]: (progress.failures[code] ?? 0) + 1 },
  }));
}

/** Counts a result that left the queue unmoved because it had left its source (call before releasing it). */
export async function countSkipped(catalog: Catalog, jobId: string, bytes: number): Promise<void> {
  await changeProgress(catalog, jobId, (progress) => ({
    ...progress,
    skipped: plus(progress.skipped, { results: 1, bytes }),
  }));
}

/** The job's status now: its kept counts and the live count of what is left. */
export async function migrationStatus(
  catalog: Catalog,
  job: CatalogJob,
  now = Date.now(),
): Promise<MigrationJobStatus> {
  const { queued, failed, skipped, failures } = kept(job);
  const left = await catalog.count({ migrationId: job.id });
  const done = {
    results: Math.max(0, queued.results - left.results - failed.results - skipped.results),
    bytes: Math.max(0, queued.bytes - left.bytes - failed.bytes - skipped.bytes),
  };
  const seconds = ((job.state === 'done' ? job.updatedAt : now) - job.createdAt) / 1000;
  const rate = seconds > 0 ? done.bytes / seconds : 0;
  const params = job.params as { from?: string[]; to?: string; deleteSource?: boolean };
  return {
    jobId: job.id,
    state: job.state,
    from: params.from ?? [],
    to: params.to ?? '',
    deleteSource: params.deleteSource === true,
    results: {
      done: done.results,
      failed: failed.results,
      skipped: skipped.results,
      left: left.results,
      total: queued.results,
    },
    bytes: { done: done.bytes, left: left.bytes, total: queued.bytes },
    bytesPerSecond: Math.round(rate),
    etaMs: rate > 0 && job.state !== 'done' ? Math.round((left.bytes / rate) * 1000) : undefined,
    failures: { ...failures },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/**
 * Marks the job done once no record is queued for it any more (none left to
 * claim and none in flight on any server). Any server may call it; the
 * compare-and-set makes one of them win. Returns the job as it is then.
 */
export async function finishIfDrained(catalog: Catalog, jobId: string): Promise<CatalogJob | undefined> {
  const job = await catalog.getJob(jobId);
  if (job?.state !== 'running') return job;
  if ((await catalog.count({ migrationId: jobId })).results > 0) return job;
  return (await catalog.updateJob(job.id, job.version, { state: 'done' })) ?? (await catalog.getJob(jobId));
}
