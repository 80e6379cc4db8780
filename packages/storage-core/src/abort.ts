/**
 * The one place where a caller's AbortSignal and an operation timeout meet.
 * Every long operation (offload, migrate, reconcile) asks this helper for a
 * single signal to pass down, and for the error to report once it fired, so
 * "the caller aborted" (ABORTED) and "it took too long" (TIMEOUT) are told
 * apart the same way everywhere. Modelled on flystorage's
 * `instrumentAbortSignal` (https://github.com/duna-oss/flystorage).
 */
import { ErrorCode, isStorageError, StorageError } from './errors.js';

/** What `operationAbort` takes. */
export interface OperationAbortOptions {
  /** The caller's signal. */
  readonly signal?: AbortSignal;
  /** Gives up after this many milliseconds. */
  readonly timeoutMs?: number;
  /** What is being done, for messages: e.g. `upload of "a.png"`. */
  readonly subject: string;
  /** The key the operation is about, carried on its errors. */
  readonly key?: string;
}

/** A combined signal and how to report its firing. */
export interface OperationAbort {
  /** The caller's signal and the timeout in one; undefined when neither was given. */
  readonly signal: AbortSignal | undefined;
  /** True once the signal fired. */
  readonly fired: boolean;
  /** The error a failure is reported as: ABORTED or TIMEOUT once the signal fired, else `error` unchanged. */
  classify(error: unknown): unknown;
  /**
   * Awaits `work`; once the signal fired, waits at most `graceMs` more for it to
   * wind down (drivers abort multipart uploads, parts in flight finish), then
   * hands the still-running `work` to `onLate` and rejects with `classify()`.
   * Bounds how long a caller waits after an abort or a timeout.
   */
  settle<T>(work: Promise<T>, graceMs: number, onLate?: (late: Promise<T>) => void): Promise<T>;
}

/** Builds the combined signal for one operation. */
export function operationAbort(options: OperationAbortOptions): OperationAbort {
  const { signal: callerSignal, timeoutMs, subject, key } = options;
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const parts = [callerSignal, timeout].filter((part): part is AbortSignal => part !== undefined);
  const signal = parts.length > 1 ? AbortSignal.any(parts) : parts[0];

  const classify = (error: unknown): unknown => {
    if (callerSignal?.aborted) {
      if (isStorageError(error, ErrorCode.Aborted)) return error;
      return new StorageError(ErrorCode.Aborted, `${subject} was aborted by the caller`, { cause: error, key });
    }
    if (timeout?.aborted) {
      return new StorageError(ErrorCode.Timeout, `${subject} took longer than ${timeoutMs} ms`, { cause: error, key });
    }
    return error;
  };

  return {
    signal,
    get fired() {
      return signal?.aborted ?? false;
    },
    classify,
    async settle<T>(work: Promise<T>, graceMs: number, onLate?: (late: Promise<T>) => void): Promise<T> {
      if (!signal) return work;
      let stopWaiting: (() => void) | undefined;
      const gaveUp = new Promise<typeof GAVE_UP>((resolve) => {
        let grace: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
          grace = setTimeout(() => resolve(GAVE_UP), graceMs);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        stopWaiting = () => {
          signal.removeEventListener('abort', onAbort);
          clearTimeout(grace);
        };
      });
      try {
        const first = await Promise.race([work, gaveUp]);
        if (first !== GAVE_UP) return first as T;
      } catch (error) {
        throw classify(error);
      } finally {
        stopWaiting?.();
      }
      onLate?.(work);
      throw classify(
        new StorageError(ErrorCode.Aborted, `${subject} did not stop within ${graceMs} ms after being aborted`, {
          key,
        }),
      );
    },
  };
}

const GAVE_UP = Symbol('gave up');
