/**
 * The stream `read()` returns: the response body, with a failure while reading
 * (connection reset, idle timeout, abort) turned into a classified
 * StorageError, like every other failure the driver reports.
 */
import { Readable } from 'node:stream';
import { abortedError, type ByteRange, ErrorCode, StorageError } from '@stowage/storage-core';
import { type ErrorContext, toStorageError } from './errors.js';

/** Wraps a response body so stream errors arrive as StorageErrors; aborting `signal` ends it with ABORTED. */
export function classifiedBody(body: Readable, context: ErrorContext, signal: AbortSignal | undefined): Readable {
  const onAbort = () => body.destroy(abortedError(signal as AbortSignal, context.key));
  signal?.addEventListener('abort', onAbort, { once: true });
  // An async generator gives exactly one error per stream, and a consumer that
  // stops early runs its finally, which releases the body and its socket.
  async function* relay(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (error) {
      throw signal?.aborted ? abortedError(signal, context.key) : toStorageError(error, context);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!body.destroyed) body.destroy();
    }
  }
  return Readable.from(relay(), { objectMode: false });
}

/** The Range header for a byte range (`end` inclusive), or INVALID_INPUT before any I/O. */
export function rangeHeader(key: string, range: ByteRange | undefined): string | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  const validStart = Number.isSafeInteger(start) && start >= 0;
  const validEnd = end === undefined || (Number.isSafeInteger(end) && end >= start);
  if (!validStart || !validEnd) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `invalid range for "${key}": start must be a whole number >= 0 and end (inclusive) >= start`,
      { key },
    );
  }
  return `bytes=${start}-${end ?? ''}`;
}
