/**
 * A file larger than one part goes out as a multipart upload of its own: each
 * part is a ranged read stream of the open file with its exact length
 * (`createReadStream({ start, end })`), hashed with MD5 on its way out, at most
 * `queueSize` parts in flight. Nothing is buffered beyond each part's chunk
 * being read (1 MiB), so memory does not grow with the part size, and the SDK signs
 * a streamed part as UNSIGNED-PAYLOAD instead of hashing a buffered one again.
 * lib-storage would gather every part into a Buffer first (bench/README.md).
 *
 * A failed part is retried on its own (the driver's one retry layer: nothing
 * else retries it) from the same open file. When a part fails for good, or the
 * caller aborts, the parts in flight are cancelled and settle, then the upload
 * id is aborted on the cleanup client. The file is checked once more after the
 * last part and before CompleteMultipartUpload: a file that changed meanwhile
 * fails with CHANGED_DURING_OFFLOAD and nothing is stored.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  abortedError,
  changedDuringOffload,
  fileChangedSince,
  isStorageError,
  type OpenedFileHandle,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import { type ErrorContext, outcomeUnknown, toStorageError } from './errors.js';
import { PartDigests } from './integrity.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { UploadTarget } from './upload.js';
import { abortUploadId } from './upload-cleanup.js';
import { partSizeFor, putParams } from './upload-params.js';
import { verifyWrite, type WriteState } from './write-check.js';

/** One multipart write of an opened file. */
interface PartsRun {
  readonly target: UploadTarget;
  readonly file: OpenedFileHandle;
  readonly path: string;
  readonly options: WriteOptions;
  readonly context: ErrorContext;
  readonly state: WriteState;
  readonly policy: RetryPolicy;
  /** Cancels the parts in flight: fired by the caller's abort or the first part that fails for good. */
  readonly cancel: AbortController;
  /** The open file's own offset (a fresh descriptor starts at 0). */
  readonly cursor: DescriptorCursor;
}

/** Uploads the opened file `file` (at `path`) as a multipart upload and verifies it. */
export async function uploadFileParts(
  target: UploadTarget,
  file: OpenedFileHandle,
  path: string,
  options: WriteOptions,
  context: ErrorContext,
  state: WriteState,
): Promise<WriteResult> {
  const { signal } = options;
  const cancel = new AbortController();
  const onAbort = () => cancel.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const policy = { retries: target.config.retries, minDelayMs: target.config.retryDelayMs };
  const cursor: DescriptorCursor = { offset: 0, busy: false };
  const run: PartsRun = { target, file, path, options, context, state, policy, cancel, cursor };
  let uploadId: string | undefined;
  let completed = false;
  try {
    uploadId = await createUpload(run);
    const { parts, digests } = await sendParts(run, uploadId);
    const changed = await fileChangedSince(file, path, target.key);
    if (changed) throw changed;
    const etag = await completeUpload(run, uploadId, parts);
    completed = true;
    const result = await verifyWrite(target, etag, digests, file.stats.size, context, state);
    options.onProgress?.({ loaded: result.size, total: result.size });
    return result;
  } catch (error) {
    cancel.abort();
    const failure = signal?.aborted ? abortedError(signal, target.key) : toStorageError(error, context);
    // Until it completed (a Complete whose answer was lost too: aborting a completed upload is harmless).
    if (uploadId !== undefined && !completed && !(await abortUploadId(target, uploadId))) {
      state.sweepNeeded = true;
    }
    throw failure;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** CreateMultipartUpload, retried; never cancelled once sent (see abortable-client.ts), so its id always arrives. */
async function createUpload(run: PartsRun): Promise<string> {
  const { target, options, context, state } = run;
  const { ContentLength: _length, IfNoneMatch: _ifNoneMatch, ...params } = putParams(target, options, undefined);
  const output = await withRetry(
    run.policy,
    async () => {
      try {
        return await target.client.send(new CreateMultipartUploadCommand(params));
      } catch (error) {
        // No answer: an upload may exist whose id never reached us; the sweep after the write finds it.
        if (outcomeUnknown(error)) state.sweepNeeded = true;
        throw toStorageError(error, context);
      }
    },
    { signal: options.signal, key: target.key, onRetry: target.onRetry },
  );
  if (!output.UploadId) throw toStorageError(new Error('CreateMultipartUpload returned no UploadId'), context);
  return output.UploadId;
}

/** Sends every part, `queueSize` at a time; resolves only after every part in flight settled. */
async function sendParts(run: PartsRun, uploadId: string): Promise<{ parts: CompletedPart[]; digests: PartDigests }> {
  const size = run.file.stats.size;
  const partSize = partSizeFor(run.target.config, size);
  const count = Math.ceil(size / partSize);
  const parts: CompletedPart[] = [];
  const digests = new PartDigests();
  let next = 0;
  let sent = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < count) {
      const index = next++;
      const start = index * partSize;
      const length = Math.min(partSize, size - start);
      try {
        const { etag, digest } = await sendPart(run, uploadId, index + 1, start, length);
        parts[index] = { PartNumber: index + 1, ETag: etag };
        digests.set(index, digest);
        sent += length;
        run.options.onProgress?.({ loaded: sent, total: size });
      } catch (error) {
        failure ??= error;
        run.cancel.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.target.config.queueSize, count) }, worker));
  if (failure !== undefined) throw failure;
  return { parts, digests };
}

/** One part from the file, retried from the same open file; the MD5 of the bytes that went out. */
async function sendPart(
  run: PartsRun,
  uploadId: string,
  partNumber: number,
  start: number,
  length: number,
): Promise<{ etag: string | undefined; digest: Buffer }> {
  const { target, context, cancel } = run;
  return withRetry(
    run.policy,
    async () => {
      let failure: unknown;
      const short = () => changedDuringOffload(run.path, target.key, 'it shrank while it was read');
      const body = new FileRangeBody(run.file.handle, run.cursor, start, length, short);
      body.once('error', (error) => {
        failure = error;
      });
      try {
        const output = await target.client.send(
          new UploadPartCommand({
            Bucket: target.config.bucket,
            Key: target.backendKey,
            UploadId: uploadId,
            PartNumber: partNumber,
            ContentLength: length,
            Body: body,
          }),
          { abortSignal: cancel.signal },
        );
        return { etag: output.ETag, digest: body.digest() };
      } catch (error) {
        if (isStorageError(failure)) throw failure;
        throw toStorageError(error, context);
      } finally {
        body.destroy();
      }
    },
    { signal: cancel.signal, key: target.key, onRetry: target.onRetry },
  );
}

/** CompleteMultipartUpload with every part, retried; a lost answer leaves the object uncertain. */
async function completeUpload(run: PartsRun, uploadId: string, parts: CompletedPart[]): Promise<string | undefined> {
  const { target, context, state, options } = run;
  const output = await withRetry(
    run.policy,
    async () => {
      try {
        return await target.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: target.config.bucket,
            Key: target.backendKey,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            ...(options.ifNotExists ? { IfNoneMatch: '*' } : {}),
          }),
          options.signal ? { abortSignal: options.signal } : {},
        );
      } catch (error) {
        if (outcomeUnknown(error)) state.uncertain = true;
        throw toStorageError(error, context);
      }
    },
    { signal: options.signal, key: target.key, onRetry: target.onRetry },
  );
  return output.ETag;
}

/**
 * Bytes per read of a part. 1 MiB, not the 64 KiB of Node's file streams: a
 * 64 KiB read is a thread-pool round trip, an MD5 update and a socket write
 * for very little data, and 1 GiB went out at 0.72x the raw SDK's speed with
 * them, at 1.05-1.1x with 1 MiB and 23% less client CPU, at the same peak RSS
 * (bench/README.md, "twelfth session").
 */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Where the descriptor's own offset is. A read that starts there goes through
 * it (no position) and moves it on, so wherever parts are read in file order
 * (always with one part in flight) the offset follows the upload, as with a
 * plain file stream: /proc/self/fdinfo shows how far the file was read, which
 * tests/file-races.test.ts times its changes by. Other reads give their position.
 */
interface DescriptorCursor {
  offset: number;
  /** A read through the offset is in flight, or one failed (the offset is unknown from then on). */
  busy: boolean;
}

/**
 * One part's bytes, read from the open file and MD5-hashed as they go out;
 * fails when fewer than `length` arrive (the file shrank while it was read).
 * Never closes the handle: the write owns it, and a retry reads the same range again.
 */
class FileRangeBody extends Readable {
  readonly #handle: FileHandle;
  readonly #cursor: DescriptorCursor;
  readonly #hash = createHash('md5');
  readonly #end: number;
  readonly #short: () => Error;
  #position: number;
  #digest: Buffer | undefined;

  constructor(handle: FileHandle, cursor: DescriptorCursor, start: number, length: number, short: () => Error) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#handle = handle;
    this.#cursor = cursor;
    this.#position = start;
    this.#end = start + length;
    this.#short = short;
  }

  override _read(): void {
    const want = Math.min(CHUNK_BYTES, this.#end - this.#position);
    if (want === 0) {
      this.#digest = this.#hash.digest();
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(want);
    const cursor = this.#cursor;
    const throughOffset = !cursor.busy && cursor.offset === this.#position;
    if (throughOffset) cursor.busy = true;
    this.#handle.read(buffer, 0, want, throughOffset ? null : this.#position).then(
      ({ bytesRead }) => {
        if (throughOffset) {
          cursor.offset += bytesRead;
          cursor.busy = false;
        }
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.destroy(this.#short());
          return;
        }
        this.#position += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        this.#hash.update(chunk);
        this.push(chunk);
      },
      (error: unknown) => {
        if (!this.destroyed) this.destroy(error as Error);
      },
    );
  }

  /** The part's MD5; only after every byte was read. */
  digest(): Buffer {
    if (!this.#digest) throw new Error('the part body did not end');
    return this.#digest;
  }
}
