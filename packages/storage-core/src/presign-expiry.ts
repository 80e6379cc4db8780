/**
 * One rule for how long a presigned URL lives, applied by every driver: a whole
 * number of seconds, at least 1, at most 7 days (the most SigV4 allows, and what
 * R2 accepts; the local driver keeps the same bound so a URL never outlives
 * what any backend would sign).
 */
import { ErrorCode, StorageError } from './errors.js';

/** The longest a presigned URL may live, in seconds: 7 days. Longer requests are capped to it. */
export const MAX_PRESIGN_EXPIRES_IN = 7 * 24 * 60 * 60;

/**
 * The lifetime to sign for `key`: `expiresIn` (or `defaultSeconds` when not
 * given), rounded down to whole seconds and capped at MAX_PRESIGN_EXPIRES_IN.
 * INVALID_INPUT, before anything is signed, when it is not a number of at least 1 second.
 */
export function presignExpiresIn(key: string, expiresIn: number | undefined, defaultSeconds: number): number {
  const seconds = expiresIn ?? defaultSeconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 1) {
    throw new StorageError(ErrorCode.InvalidInput, `expiresIn for "${key}" must be a number of seconds, at least 1`, {
      key,
    });
  }
  return Math.min(Math.floor(seconds), MAX_PRESIGN_EXPIRES_IN);
}
