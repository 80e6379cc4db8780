/**
 * The options of `sweepIncompleteUploads`, checked the same way by every
 * driver, so bad input fails before any I/O whether or not a driver has
 * incomplete uploads at all.
 */
import { abortedError, ErrorCode, StorageError } from './errors.js';
import { validateKey } from './keys.js';
import type { SweepIncompleteUploadsOptions, SweepIncompleteUploadsResult } from './types.js';

/** Default age before an incomplete upload is swept: a day, far beyond any upload still in progress. */
export const DEFAULT_SWEEP_AGE_MS = 24 * 60 * 60 * 1000;

/** Sweep options with defaults applied. */
export interface ResolvedSweepOptions {
  readonly olderThanMs: number;
  readonly key: string | undefined;
  readonly pageSize: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks sweep options and fills in defaults: INVALID_INPUT naming every bad
 * option, INVALID_KEY for a bad `key`, ABORTED for an already aborted signal.
 */
export function resolveSweepOptions(options: SweepIncompleteUploadsOptions = {}): ResolvedSweepOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StorageError(ErrorCode.InvalidInput, 'sweepIncompleteUploads: options must be an object');
  }
  const { olderThanMs = DEFAULT_SWEEP_AGE_MS, key, pageSize, signal } = options;
  const problems: string[] = [];
  if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
    problems.push('olderThanMs must be a non-negative number of milliseconds');
  }
  if (pageSize !== undefined && !(Number.isSafeInteger(pageSize) && pageSize >= 1)) {
    problems.push('pageSize must be a whole number of at least 1');
  }
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `sweepIncompleteUploads: ${problems.join('; ')}`);
  }
  if (key !== undefined) validateKey(key);
  if (signal?.aborted) throw abortedError(signal, key);
  return { olderThanMs, key, pageSize, signal };
}

/** The result of a sweep that had nothing to do. */
export function emptySweepResult(): SweepIncompleteUploadsResult {
  return { aborted: 0, failed: [] };
}
