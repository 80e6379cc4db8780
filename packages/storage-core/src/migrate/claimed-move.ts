/**
 * One claimed record of a migration job, moved under its lease: the same steps
 * whether `storage.migrate()` runs the job in the caller's process or a worker
 * runs its share of a queued one. The lease is renewed while the bytes move, so
 * a slow transfer is not taken for abandoned; a server that dies stops renewing,
 * and recovery on another server undoes its copy once the lease has passed and
 * leaves the record queued. A record that left its source since it was queued
 * is released unmoved; a failure is counted in the job, then the record leaves
 * the queue with its reason.
 */
import type { Catalog, ResultRecord } from '../catalog/types.js';
import { asStorageError, type StorageError } from '../errors.js';
import { emitSafely, type StorageEvents } from '../events.js';
import { errorFacts, type Logger } from '../logger.js';
import type { TargetResolver } from '../offload/targets.js';
import { countFailed, countSkipped } from './job-progress.js';
import { type MovedResult, moveResult } from './move-result.js';
import { type MigrationPlan, stillMovable } from './plan.js';
import type { ByteRateLimit } from './throttle.js';

/** What moving a claimed record needs. */
export interface ClaimedMoveContext {
  readonly catalog: Catalog;
  readonly targets: TargetResolver;
  readonly resultsRoot: string;
  readonly events: StorageEvents;
  readonly logger: Logger;
  readonly leaseMs: number;
  readonly limit: ByteRateLimit | undefined;
  readonly signal: AbortSignal | undefined;
}

/** How one claimed record ended. */
export type ClaimedMove =
  | { readonly kind: 'moved'; readonly moved: MovedResult }
  | { readonly kind: 'failed'; readonly error: StorageError }
  | { readonly kind: 'skipped' }
  /** Stopped by the signal: what it wrote is removed, and the record stays queued for the next run. */
  | { readonly kind: 'stopped' };

/** Moves `record`, claimed for migration `jobId`, as the plan says; never throws. */
export async function moveClaimed(
  context: ClaimedMoveContext,
  plan: MigrationPlan,
  jobId: string,
  record: ResultRecord,
): Promise<ClaimedMove> {
  const { catalog, events, logger } = context;
  const bytes = record.files.reduce((sum, file) => sum + file.size, 0);
  if (!stillMovable(plan, record)) {
    await release(catalog, record, undefined, { count: () => countSkipped(catalog, jobId, bytes) });
    return { kind: 'skipped' };
  }
  const renewal = renewWhileMoving(context, record);
  let moved: MovedResult;
  try {
    moved = await moveResult(
      {
        catalog,
        targets: context.targets,
        logger,
        resultsRoot: context.resultsRoot,
        limit: context.limit,
        signal: context.signal,
      },
      plan,
      record,
    );
  } catch (cause) {
    const error = asStorageError(cause, record.path);
    if (context.signal?.aborted) {
      await release(catalog, record, undefined, { keepQueued: true });
      return { kind: 'stopped' };
    }
    logger.warn(
      { key: record.path, error: errorFacts(error) },
      'a result could not be migrated; it stays where it was',
    );
    emitSafely(events, logger, 'migrate:failed', {
      jobId,
      resultId: record.id,
      path: record.path,
      code: error.code,
      message: error.message,
    });
    await release(catalog, record, error, { count: () => countFailed(catalog, jobId, bytes, error.code) });
    return { kind: 'failed', error };
  } finally {
    clearInterval(renewal);
  }
  if (moved.sourceDeleteError) {
    logger.warn(
      { key: record.path, error: errorFacts(moved.sourceDeleteError) },
      'a migrated result could not be deleted at its source; recovery tries again',
    );
  }
  emitSafely(events, logger, 'migrate:moved', {
    jobId,
    resultId: record.id,
    path: record.path,
    from: moved.from,
    to: moved.to,
    bytes: moved.bytes,
  });
  return { kind: 'moved', moved };
}

/** Renews the claim every third of the lease; renewal keeps the record's version, so the move's commits still apply. */
function renewWhileMoving(context: ClaimedMoveContext, record: ResultRecord): NodeJS.Timeout {
  const attemptId = record.intent?.attemptId as string;
  const timer = setInterval(
    () => {
      context.catalog.renewLease(record.id, attemptId, Date.now() + context.leaseMs).catch((error: unknown) => {
        context.logger.warn({ key: record.path, error: errorFacts(error) }, 'could not renew a migration lease');
      });
    },
    Math.max(250, Math.floor(context.leaseMs / 3)),
  );
  timer.unref();
  return timer;
}

/**
 * The record leaves the queue (with the failure's reason; running the migration
 * again queues it again), or with `keepQueued` only the claim ends. `count` runs
 * first, and only while this claim still holds the record: a claim lost to
 * recovery (the lease ran out) is not counted, as the record stays queued and
 * is moved later. Were the count to succeed and the release not (a crash), the
 * record would be tried again: counted twice at worst, never lost.
 */
async function release(
  catalog: Catalog,
  record: ResultRecord,
  error: StorageError | undefined,
  options: { readonly keepQueued?: boolean; readonly count?: () => Promise<void> } = {},
): Promise<void> {
  const current = await catalog.get(record.id).catch(() => undefined);
  if (!current || current.intent?.attemptId !== record.intent?.attemptId) return;
  await options.count?.().catch(() => undefined);
  await catalog
    .update(current.id, current.version, {
      intent: null,
      ...(options.keepQueued ? {} : { migrationId: null }),
      ...(error ? { lastError: { code: error.code, message: error.message, at: Date.now() } } : {}),
    })
    .catch(() => undefined);
}
