/**
 * When a result that stayed local is tried again, and when Stowage stops
 * trying. The schedule is persisted in the catalog (`dueAt`, `attempts`), so a
 * restart continues it instead of starting over.
 */

import type { ResultState } from '../catalog/types.js';
import { ErrorCode } from '../errors.js';

/** Retry tuning for results that stayed local. */
export interface RetrySchedule {
  /** Delay before the first retry, in milliseconds. Default 30 s. */
  readonly firstDelayMs: number;
  /** Longest delay between retries. Default 6 h. */
  readonly maxDelayMs: number;
  /** Each delay is randomly up to this fraction shorter or longer, so many results do not retry in lockstep. Default 0.2. */
  readonly jitter: number;
  /** After this many failed attempts a result is given up. Default 12. */
  readonly maxAttempts: number;
  /** A result still failing this long after it was first seen is given up. Default 7 days. */
  readonly maxAgeMs: number;
}

/** The default schedule: 30 s, doubling, at most 6 h apart, 12 attempts (about two days). */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  firstDelayMs: 30_000,
  maxDelayMs: 6 * 60 * 60 * 1000,
  jitter: 0.2,
  maxAttempts: 12,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
};

/** Failures an admin must fix: retrying unchanged settings cannot help, so the result waits for a change. */
const NEEDS_ADMIN: ReadonlySet<string> = new Set([
  ErrorCode.InvalidCredentials,
  ErrorCode.AccessDenied,
  ErrorCode.BucketNotFound,
  ErrorCode.Misconfigured,
  ErrorCode.Tls,
  ErrorCode.ClockSkew,
  ErrorCode.Unsupported,
  ErrorCode.PreconditionFailed,
  ErrorCode.InvalidKey,
  ErrorCode.InvalidInput,
]);

/** The state a result first seen `ageMs` ago takes after a failure with `code`, its `attempts`-th. */
export function stateAfterFailure(code: string, attempts: number, ageMs: number, schedule: RetrySchedule): ResultState {
  if (NEEDS_ADMIN.has(code)) return 'blocked';
  return attempts >= schedule.maxAttempts || ageMs >= schedule.maxAgeMs ? 'given-up' : 'pending';
}

/** When the next attempt is due after the `attempts`-th failure, with jitter. */
export function nextAttemptAt(now: number, attempts: number, schedule: RetrySchedule, random = Math.random): number {
  const base = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.max(0, attempts - 1));
  const spread = base * schedule.jitter * (2 * random() - 1);
  return Math.round(now + base + spread);
}

/** Every problem with a partial schedule; empty when it is usable. */
export function retryScheduleProblems(schedule: Partial<RetrySchedule>): string[] {
  const problems: string[] = [];
  const positive = (name: keyof RetrySchedule) => {
    const value = schedule[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) problems.push(`retry.${name}: must be positive`);
  };
  positive('firstDelayMs');
  positive('maxDelayMs');
  positive('maxAttempts');
  positive('maxAgeMs');
  if (schedule.jitter !== undefined && !(schedule.jitter >= 0 && schedule.jitter < 1)) {
    problems.push('retry.jitter: must be from 0 to below 1');
  }
  return problems;
}
