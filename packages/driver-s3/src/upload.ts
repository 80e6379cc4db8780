/**
 * Writes one object, by the cheapest path that still proves it:
 * - bytes (and files) that fit in one part: one PutObject with the bytes
 *   (put-bytes.ts), their MD5 hashed in one call;
 * - files larger than one part: a multipart upload of ranged file streams
 *   (file-parts.ts), nothing buffered, each part hashed on its way out;
 * - streams: lib-storage's Upload through an IntegrityStream (stream-upload.ts).
 * The returned ETag is compared with the computed MD5 (write-check.ts); on
 * mismatch the object is deleted. A failed or aborted multipart upload is
 * aborted on the server after its in-flight parts settled, retried with backoff
 * for up to `cleanupWindowMs` (beyond the write's own retries, since the fault
 * that failed the write usually hits its cleanup too); an upload whose id never
 * arrived is swept by listing the key. An abort cancels the requests in flight,
 * so the write rejects promptly even on a slow link.
 *
 * A failed write says whether the object may exist anyway: `details.uncertain`
 * is true when a request that creates the object (PutObject,
 * CompleteMultipartUpload) went out and no HTTP answer came back (reset, timeout,
 * abort while it was in flight), or when the object was stored but its
 * verification could not finish (the HEAD failed, or a mismatching object could
 * not be deleted). It is absent when the server answered with an error, or the
 * write failed before such a request was sent. `details.uploadLeftOpen` is true
 * when a multipart upload may be left open at the key: aborting it kept
 * failing through the cleanup window.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  abortedError,
  bodyBytes,
  changedDuringOffload,
  ErrorCode,
  fileChangedSince,
  isFileSource,
  type Logger,
  metadataProblems,
  type NormalizedBody,
  normalizeBody,
  type OpenedFileHandle,
  openFileHandle,
  StorageError,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import type { S3DriverConfig } from './config.js';
import type { DirectPut } from './direct-put.js';
import { type ErrorContext, toStorageError } from './errors.js';
import { uploadFileParts } from './file-parts.js';
import { putBytes } from './put-bytes.js';
import { withRetry } from './retry.js';
import { uploadStreamOnce } from './stream-upload.js';
import { sweepOpenUploads } from './upload-cleanup.js';
import { partSizeFor } from './upload-params.js';
import { markFailure, type WriteState } from './write-check.js';

/**
 * Cleanup requests get this long even when the request timeout is shorter: the
 * fault that failed the upload (a slow link) slows its cleanup too, and an open
 * multipart upload keeps costing storage until a lifecycle rule removes it.
 */
export const CLEANUP_TIMEOUT_MS = 30_000;

export interface UploadTarget {
  readonly client: S3Client;
  /** A client whose timeouts outlast a slow link, for aborting what a failed upload left (built on demand). */
  readonly cleanupClient: () => S3Client;
  /** Sends a body in memory as one PutObject without the SDK's pipeline, where the checksum mode allows (direct-put.ts). */
  readonly directPut?: DirectPut | undefined;
  readonly config: S3DriverConfig;
  /** The caller's key. */
  readonly key: string;
  /** The key on the backend (prefix applied). */
  readonly backendKey: string;
  readonly secrets: readonly string[];
  /** Called before a retry; for logs and tests. */
  readonly onRetry?: ((error: Error, attempt: number) => void | Promise<void>) | undefined;
  /** How long aborting a failed upload keeps retrying; default DEFAULT_CLEANUP_WINDOW_MS. */
  readonly cleanupWindowMs?: number | undefined;
  /** Where a write that succeeded reports what it could not clean up; nowhere when left out. */
  readonly logger?: Logger | undefined;
  /** The backend name, for the logger's facts. */
  readonly backend?: string | undefined;
}

/** Returns every problem with the write options, so bad input fails before any I/O. */
function writeOptionProblems(options: WriteOptions): string[] {
  const problems: string[] = [];
  const { contentLength, metadata } = options;
  if (contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
    problems.push('contentLength must be a non-negative whole number');
  }
  if (options.sha256 !== undefined && !(typeof options.sha256 === 'string' && /^[0-9a-f]{64}$/.test(options.sha256))) {
    problems.push('sha256 must be 64 lower-case hex digits');
  }
  // One source of the metadata rules: offload checks the same ones before it uploads.
  problems.push(...metadataProblems(metadata));
  return problems;
}

function lengthMismatch(key: string, given: number, actual: number): StorageError {
  return new StorageError(
    ErrorCode.InvalidInput,
    `contentLength ${given} given for "${key}" but the body is ${actual} bytes`,
    { key },
  );
}

/** Uploads `body` to the target key, verifies it and returns what was stored. */
export async function uploadObject(target: UploadTarget, body: WriteBody, options: WriteOptions): Promise<WriteResult> {
  const { key } = target;
  const problems = writeOptionProblems(options);
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `invalid write options for "${key}": ${problems.join('; ')}`, {
      key,
    });
  }
  if (options.signal?.aborted) throw abortedError(options.signal, key);
  const context: ErrorContext = { operation: 'write', bucket: target.config.bucket, key, secrets: target.secrets };
  const startedAt = Date.now();
  const state: WriteState = { sweepNeeded: false, uncertain: false };
  let written: WriteResult;
  try {
    written = await uploadBy(target, body, options, context, state);
  } catch (error) {
    const uploadLeftOpen = state.sweepNeeded && !(await sweepOpenUploads(target, startedAt));
    if (!state.uncertain && !uploadLeftOpen) throw error;
    throw markFailure(toStorageError(error, context), { uncertain: state.uncertain, uploadLeftOpen });
  }
  // A retry succeeded after an attempt whose upload id never arrived: that upload is swept, best
  // effort. The write stands either way; what the sweep could not abort is said, for the operator.
  if (state.sweepNeeded && !(await sweepOpenUploads(target, startedAt))) {
    target.logger?.warn(
      { backend: target.backend, key, bucket: target.config.bucket },
      `"${key}" was written, but a multipart upload that an earlier attempt may have opened at its key could not be aborted; sweepIncompleteUploads (the worker's sweep) or the bucket's lifecycle rule removes it`,
    );
  }
  return written;
}

/** Picks the path for `body` (see the module comment). */
async function uploadBy(
  target: UploadTarget,
  body: WriteBody,
  options: WriteOptions,
  context: ErrorContext,
  state: WriteState,
): Promise<WriteResult> {
  const { key, config } = target;
  const bytes = bodyBytes(body);
  if (bytes) {
    if (options.contentLength !== undefined && options.contentLength !== bytes.byteLength) {
      throw lengthMismatch(key, options.contentLength, bytes.byteLength);
    }
    if (bytes.byteLength <= config.partSize) return putBytes(target, bytes, options, context, state);
  }
  if (isFileSource(body)) {
    const file = await openFileHandle(body, key);
    try {
      const size = file.stats.size;
      if (options.contentLength !== undefined && options.contentLength !== size) {
        throw lengthMismatch(key, options.contentLength, size);
      }
      if (size > partSizeFor(config, size)) {
        return await uploadFileParts(target, file, body.filePath, options, context, state);
      }
      const whole = await readWhole(file, body.filePath, key);
      return await putBytes(target, whole, options, context, state);
    } finally {
      await file.handle.close().catch(() => undefined);
    }
  }
  return uploadStream(target, body, options, context, state);
}

/** Bytes per read: the chunk size of Node's own file streams. */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads a file of at most one part into memory, checking that it did not
 * change meanwhile. It reads as a file stream would, front to back through the
 * fresh descriptor's own offset in 64 KiB chunks, so /proc/self/fdinfo shows
 * how far it got (tests/file-races.test.ts times its changes by that).
 */
async function readWhole(file: OpenedFileHandle, path: string, key: string): Promise<Uint8Array> {
  const size = file.stats.size;
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await file.handle.read(bytes, offset, Math.min(READ_CHUNK_BYTES, size - offset), null);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  if (offset < size)
    throw changedDuringOffload(path, key, `it shrank to ${offset} of the ${size} bytes it had when opened`);
  const changed = await fileChangedSince(file, path, key);
  if (changed) throw changed;
  return bytes;
}

/** A stream (or a larger in-memory body) through lib-storage; bytes are retried, a consumed stream is not. */
async function uploadStream(
  target: UploadTarget,
  body: WriteBody,
  options: WriteOptions,
  context: ErrorContext,
  state: WriteState,
): Promise<WriteResult> {
  const { key } = target;
  const first = await normalizeBody(body, key);
  if (options.contentLength !== undefined && first.length !== undefined && first.length !== options.contentLength) {
    first.stream.destroy();
    throw lengthMismatch(key, options.contentLength, first.length);
  }
  const length = options.contentLength ?? first.length;
  if (!first.reopenable) return uploadStreamOnce(target, first, length, options, context, state);
  let reuse: NormalizedBody | undefined = first;
  return withRetry(
    { retries: target.config.retries, minDelayMs: target.config.retryDelayMs },
    async () => {
      // A retry never re-sends a consumed stream: it opens the source again.
      const source = reuse ?? (await normalizeBody(body, key));
      reuse = undefined;
      return uploadStreamOnce(target, source, length, options, context, state);
    },
    { signal: options.signal, key, onRetry: target.onRetry },
  );
}
