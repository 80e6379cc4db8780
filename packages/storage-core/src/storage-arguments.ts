/**
 * Checks of the arguments of Storage's catalog reads, made before the catalog
 * is asked: a wrong type reaching SQL is either a driver's TypeError or, worse,
 * a silently empty answer. Messages name the argument, never echo it.
 */
import { ErrorCode, StorageError } from './errors.js';

/** INVALID_INPUT unless `options` is undefined or an object whose `since` is undefined or a time in epoch ms. */
export function refuseStatsOptions(options: unknown): void {
  // A `since` that is not a time would count no failure at all (SQLite compares it as text), not fail.
  const since = (options as { since?: unknown } | undefined)?.since;
  const isTime = since === undefined || (typeof since === 'number' && Number.isFinite(since));
  if ((options !== undefined && (typeof options !== 'object' || options === null)) || !isTime) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      'stats: since must be a time in epoch milliseconds, e.g. { since: Date.now() - 3_600_000 }',
    );
  }
}

/** INVALID_INPUT unless `jobId` is a non-empty string. */
export function refuseJobId(what: string, jobId: unknown): void {
  if (typeof jobId !== 'string' || jobId === '') {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `${what}: the job id must be a non-empty string, got ${typeof jobId}`,
    );
  }
}
