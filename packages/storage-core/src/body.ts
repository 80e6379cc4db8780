import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ErrorCode, StorageError } from './errors.js';
import { openFileSource } from './file-source.js';
import type { FileIdentity, FileSource, WriteBody } from './types.js';

/** A write body turned into one Node stream, with its length when known. */
export interface NormalizedBody {
  readonly stream: Readable;
  /** Known length in bytes, or undefined for streams of unknown length. */
  readonly length: number | undefined;
  /** True for bytes, strings and files: the body can be produced again for a retry. */
  readonly reopenable: boolean;
  /** For `{ filePath }`: the file that was opened. A retry re-opens `{ filePath, identity }` to send the same file. */
  readonly identity?: FileIdentity;
}

/** True when `body` is `{ filePath }`. */
export function isFileSource(body: unknown): body is FileSource {
  return typeof body === 'object' && body !== null && typeof (body as FileSource).filePath === 'string';
}

function isWebStream(body: unknown): body is WebReadableStream<Uint8Array> {
  return typeof body === 'object' && body !== null && typeof (body as ReadableStream).getReader === 'function';
}

/**
 * Returns the body as bytes when it already is in memory (bytes or string), else
 * undefined. Drivers use it to take a cheaper path for small bodies.
 */
export function bodyBytes(body: WriteBody): Uint8Array | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  return undefined;
}

/**
 * Turns any WriteBody into a Node Readable. Bytes and strings are never copied
 * twice; files are streamed, never read whole, from one open handle (see
 * file-source.ts: NOT_FOUND, INVALID_INPUT or CHANGED_DURING_OFFLOAD for a file
 * that is missing, not a regular file, or not the one `identity` names).
 * Throws INVALID_INPUT for anything else, before any I/O against the backend.
 */
export async function normalizeBody(body: WriteBody, key?: string): Promise<NormalizedBody> {
  const bytes = bodyBytes(body);
  if (bytes) return { stream: Readable.from([bytes]), length: bytes.byteLength, reopenable: true };
  if (isFileSource(body)) {
    const file = await openFileSource(body, key);
    return { stream: file.stream, length: file.length, reopenable: true, identity: file.identity };
  }
  if (body instanceof Readable) return { stream: body, length: undefined, reopenable: false };
  if (isWebStream(body)) return { stream: Readable.fromWeb(body), length: undefined, reopenable: false };
  throw new StorageError(
    ErrorCode.InvalidInput,
    'body must be a Uint8Array, a string, a Node Readable, a web ReadableStream or { filePath }',
    { key },
  );
}

/**
 * Reads a whole stream (Node, web or any async iterable) into one Buffer. It is
 * `buffer` from `node:stream/consumers`, under the name the README's quick
 * start uses. For tests and small objects only: the whole body is held in memory.
 */
export const streamToBuffer: typeof buffer = buffer;
