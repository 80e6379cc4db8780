import {
  abortedError,
  asStorageError,
  bodyBytes,
  ErrorCode,
  normalizeBody,
  StorageError,
  type TransferProgress,
  type WriteBody,
} from '@stowage/storage-core';

/** What a write asks of its body besides the bytes. */
export interface CollectOptions {
  readonly contentLength?: number | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

function lengthError(key: string, expected: number, received: number, direction: 'more' | 'fewer'): StorageError {
  return new StorageError(
    ErrorCode.InvalidInput,
    `body for key "${key}" has ${direction} bytes than the declared length of ${expected} bytes (got ${direction === 'more' ? 'at least ' : ''}${received})`,
    { key, details: { expected, received } },
  );
}

/**
 * Reads a write body into one Buffer the caller cannot reach. Bytes are copied
 * before the first `await`, so a caller that reuses its buffer as soon as
 * `write()` returns cannot change the object; stream chunks are copied as
 * they arrive. Enforces `contentLength`, reports progress, and stops with
 * ABORTED as soon as the signal fires (the source stream is destroyed).
 */
export async function collectBody(key: string, body: WriteBody, options: CollectOptions): Promise<Buffer> {
  // Before any await: this runs while the caller is still inside write().
  const inMemory = bodyBytes(body);
  if (inMemory) return wholeBody(key, Buffer.copyBytesFrom(inMemory), options);
  return streamedBody(key, body, options);
}

function wholeBody(key: string, bytes: Buffer, options: CollectOptions): Buffer {
  const { contentLength, signal } = options;
  if (contentLength !== undefined && bytes.length !== contentLength) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `body for key "${key}" is ${bytes.length} bytes but contentLength says ${contentLength}`,
      { key },
    );
  }
  if (signal?.aborted) throw abortedError(signal, key);
  options.onProgress?.({ loaded: bytes.length, total: bytes.length });
  return bytes;
}

async function streamedBody(key: string, body: WriteBody, options: CollectOptions): Promise<Buffer> {
  const { signal, onProgress } = options;
  const normalized = await normalizeBody(body, key);
  const { stream } = normalized;
  const expected = options.contentLength ?? normalized.length;
  const stop = () => stream.destroy(abortedError(signal as AbortSignal, key));
  signal?.addEventListener('abort', stop, { once: true });
  const chunks: Buffer[] = [];
  let loaded = 0;
  try {
    if (signal?.aborted) throw abortedError(signal, key);
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.copyBytesFrom(chunk as Uint8Array);
      loaded += bytes.length;
      if (expected !== undefined && loaded > expected) throw lengthError(key, expected, loaded, 'more');
      chunks.push(bytes);
      onProgress?.({ loaded, total: expected });
      if (signal?.aborted) throw abortedError(signal, key);
    }
  } catch (error) {
    stream.destroy();
    if (signal?.aborted) throw abortedError(signal, key);
    throw asStorageError(error, key);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  if (expected !== undefined && loaded !== expected) throw lengthError(key, expected, loaded, 'fewer');
  // A final event even for an empty body.
  if (loaded === 0) onProgress?.({ loaded, total: expected });
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, loaded);
}
