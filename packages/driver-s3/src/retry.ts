/**
 * The driver's only retry layer (the SDK runs with maxAttempts 1, so attempts
 * never multiply). Only StorageErrors whose code is retryable are repeated;
 * callers decide whether an operation may be repeated at all (a consumed stream
 * body may not).
 */
import { abortedError, isStorageError } from '@stowage/storage-core';
import pRetry from 'p-retry';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Delay before the first retry; later ones double, each scaled by a random 1-2 factor. */
  readonly minDelayMs: number;
  /** No retry starts once this long has passed since the first attempt; default unbounded (retries bound it). */
  readonly maxRetryTimeMs?: number;
}

export interface RetryOptions {
  readonly signal?: AbortSignal | undefined;
  readonly key?: string | undefined;
  /** Called before each retry; lets tests and logs see failed attempts. */
  readonly onRetry?: ((error: Error, attempt: number) => void | Promise<void>) | undefined;
}

/**
 * Runs `operation` and repeats it on retryable StorageErrors with exponential
 * backoff and jitter. `operation` must throw StorageErrors (mapped already).
 * An abort through `signal` rejects with ABORTED and stops further attempts.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw abortedError(signal, options.key);
  try {
    return await pRetry(operation, {
      retries: policy.retries,
      minTimeout: policy.minDelayMs,
      maxTimeout: Math.max(policy.minDelayMs, 20_000),
      factor: 2,
      randomize: true,
      ...(policy.maxRetryTimeMs !== undefined ? { maxRetryTime: policy.maxRetryTimeMs } : {}),
      // Not unref'd: a script whose only pending work is a retry must wait for it, not exit mid-operation.
      ...(signal ? { signal } : {}),
      shouldRetry: ({ error }) => isStorageError(error) && error.retryable,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && isStorageError(error) && error.retryable) await options.onRetry?.(error, attemptNumber);
      },
    });
  } catch (error) {
    if (signal?.aborted && !isStorageError(error, 'ABORTED')) throw abortedError(signal, options.key);
    throw error;
  }
}
