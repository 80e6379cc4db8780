/**
 * Writes one object: every body streams through lib-storage's Upload (a single
 * PUT when it fits in one part, else a multipart upload with uniform parts),
 * through an IntegrityStream that counts and hashes it. The returned ETag is
 * compared with the computed MD5; on mismatch the object is deleted. A failed or
 * aborted multipart upload is aborted on the server, after its in-flight parts
 * settled, so no unfinished upload stays behind: that abort is retried with
 * backoff for up to `cleanupWindowMs` (beyond the write's own retries, since the
 * fault that failed the write usually hits its cleanup too). An abort cancels
 * the parts in flight, so the write rejects promptly even on a slow link.
 *
 * A failed write says whether the object may exist anyway: `details.uncertain`
 * is true when a request that creates the object (PutObject,
 * CompleteMultipartUpload) went out and no HTTP answer came back (reset, timeout,
 * abort while it was in flight), or when the object was stored but its
 * verification could not finish (the HEAD failed, or a mismatching object could
 * not be deleted). It is absent when the server answered with an error, or the
 * write failed before such a request was sent.
 *
 * Two lib-storage internals are relied on here, with the SDK pinned to exact
 * versions and test/sdk-canaries.test.ts failing when a bump changes them:
 * - Upload's `done()` rejects as soon as the upload is aborted, while parts are
 *   still being sent, so control comes back before anything was cleaned up;
 *   abortUnfinished() waits on Upload's private `concurrentUploaders` for the
 *   parts in flight to settle, then aborts the upload id itself, so no part
 *   lands after the abort. Upstream, https://github.com/aws/aws-sdk-js-v3/pull/7322
 *   (open) makes Upload keep control until every pending request settled and
 *   cancel parts as soon as it is aborted.
 * - Upload reaches its client only through `send` and `config`, and sends its
 *   requests without an abortSignal (https://github.com/aws/aws-sdk-js-v3/issues/5109):
 *   the views of the client it gets (abortable-client.ts, trackingStores below)
 *   override only `send`.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  abortedError,
  ErrorCode,
  isFileSource,
  metadataProblems,
  type NormalizedBody,
  normalizeBody,
  resolveContentType,
  StorageError,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import { abortableClient } from './abortable-client.js';
import type { S3DriverConfig } from './config.js';
import { type ErrorContext, outcomeUnknown, toStorageError } from './errors.js';
import { abortUpload, listOpenUploads, type UploadsTarget } from './incomplete-uploads.js';
import { checkEtag, IntegrityStream } from './integrity.js';
import { type RetryPolicy, withRetry } from './retry.js';

/** S3 allows at most this many parts in one multipart upload. */
const MAX_PARTS = 10_000;
/**
 * Cleanup requests get this long even when the request timeout is shorter: the
 * fault that failed the upload (a slow link) slows its cleanup too, and an open
 * multipart upload keeps costing storage until a lifecycle rule removes it.
 */
export const CLEANUP_TIMEOUT_MS = 30_000;
/** Uploads initiated this long before the write began still count as its own (server and local clocks differ). */
const INITIATED_SLACK_MS = 60_000;
/** How long aborting what a failed write left keeps retrying by default: a short outage passes, a long one is left to the sweep. */
export const DEFAULT_CLEANUP_WINDOW_MS = 60_000;

export interface UploadTarget {
  readonly client: S3Client;
  /** A client whose timeouts outlast a slow link, for aborting what a failed upload left (built on demand). */
  readonly cleanupClient: () => S3Client;
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
}

/** Returns every problem with the write options, so bad input fails before any I/O. */
export function writeOptionProblems(options: WriteOptions): string[] {
  const problems: string[] = [];
  const { contentLength, metadata } = options;
  if (contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
    problems.push('contentLength must be a non-negative whole number');
  }
  // One source of the metadata rules: offload checks the same ones before it uploads.
  problems.push(...metadataProblems(metadata));
  return problems;
}

function putParams(target: UploadTarget, options: WriteOptions, length: number | undefined): PutObjectCommandInput {
  const { config } = target;
  return {
    Bucket: config.bucket,
    Key: target.backendKey,
    ContentType: resolveContentType(target.key, options.contentType),
    ...(length !== undefined ? { ContentLength: length } : {}),
    ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
    ...(options.contentDisposition ? { ContentDisposition: options.contentDisposition } : {}),
    ...(options.metadata && Object.keys(options.metadata).length > 0 ? { Metadata: { ...options.metadata } } : {}),
    ...(options.ifNotExists ? { IfNoneMatch: '*' } : {}),
    ...(config.acl ? { ACL: config.acl as PutObjectCommandInput['ACL'] } : {}),
    ...(config.storageClass ? { StorageClass: config.storageClass as PutObjectCommandInput['StorageClass'] } : {}),
    ...(config.serverSideEncryption ? { ServerSideEncryption: config.serverSideEncryption } : {}),
    ...(config.sseKmsKeyId ? { SSEKMSKeyId: config.sseKmsKeyId } : {}),
  };
}

/** Part size for a body: the configured one, grown when needed to stay within 10,000 parts. */
export function partSizeFor(config: S3DriverConfig, length: number | undefined): number {
  if (length === undefined) return config.partSize;
  return Math.max(config.partSize, Math.ceil(length / MAX_PARTS));
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
  const first = await normalizeBody(body, key);
  if (options.contentLength !== undefined && first.length !== undefined && first.length !== options.contentLength) {
    first.stream.destroy();
    throw new StorageError(
      ErrorCode.InvalidInput,
      `contentLength ${options.contentLength} given for "${key}" but the body is ${first.length} bytes`,
      { key },
    );
  }
  const length = options.contentLength ?? first.length;
  const context: ErrorContext = { operation: 'write', bucket: target.config.bucket, key, secrets: target.secrets };

  const startedAt = Date.now();
  const cleanup: WriteState = { sweepNeeded: false, uncertain: false };
  // A retry sends the file the first attempt opened, or fails with CHANGED_DURING_OFFLOAD: never another one.
  const reopen: WriteBody =
    isFileSource(body) && first.identity ? { filePath: body.filePath, identity: first.identity } : body;
  try {
    if (!first.reopenable) return await uploadOnce(target, first, length, options, context, cleanup);
    let reuse: NormalizedBody | undefined = first;
    return await withRetry(
      { retries: target.config.retries, minDelayMs: target.config.retryDelayMs },
      async () => {
        // A retry never re-sends a consumed stream: it opens the source again.
        const source = reuse ?? (await normalizeBody(reopen, key));
        reuse = undefined;
        return uploadOnce(target, source, length, options, context, cleanup);
      },
      { signal: options.signal, key, onRetry: target.onRetry },
    );
  } catch (error) {
    throw cleanup.uncertain ? markUncertain(toStorageError(error, context)) : error;
  } finally {
    if (cleanup.sweepNeeded) await sweepOpenUploads(target, startedAt);
  }
}

/** What the attempts of one write learned, across retries. */
interface WriteState {
  /** A failed attempt may have left a multipart upload it could not abort. */
  sweepNeeded: boolean;
  /** The object may exist under the key although the write failed (see the module comment). */
  uncertain: boolean;
}

/** The same failure, saying that the object may have been stored (`details.uncertain`). */
function markUncertain(failure: StorageError): StorageError {
  return new StorageError(
    failure.code,
    `${failure.message}; the object may have been stored anyway (its outcome is unknown)`,
    {
      cause: failure.cause ?? failure,
      key: failure.key,
      status: failure.status,
      details: { ...failure.details, uncertain: true },
    },
  );
}

/** What one attempt sent. */
interface AttemptState {
  /** A multipart upload was created, or its creation may have happened (the answer was lost). */
  multipartStarted: boolean;
}

/**
 * A view of `client` that notes when a multipart upload was (or may have been)
 * created, and when a request that creates the object (PutObject,
 * CompleteMultipartUpload) fails without an HTTP answer: the server may have
 * acted on it. A request refused before it reached the server changes nothing.
 */
function trackingStores(client: S3Client, state: WriteState, attempt: AttemptState): S3Client {
  const send = async (command: Parameters<S3Client['send']>[0], options?: unknown) => {
    const creates = command instanceof CreateMultipartUploadCommand;
    try {
      const output = await (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      if (creates) attempt.multipartStarted = true;
      return output;
    } catch (error) {
      const unknown = outcomeUnknown(error);
      if (creates && unknown) attempt.multipartStarted = true;
      const stores = command instanceof PutObjectCommand || command instanceof CompleteMultipartUploadCommand;
      if (stores && unknown) state.uncertain = true;
      throw error;
    }
  };
  return Object.create(client, { send: { value: send } }) as S3Client;
}

async function uploadOnce(
  target: UploadTarget,
  source: NormalizedBody,
  length: number | undefined,
  options: WriteOptions,
  context: ErrorContext,
  cleanup: WriteState,
): Promise<WriteResult> {
  const { client, config, key } = target;
  const { signal } = options;
  if (signal?.aborted) {
    source.stream.destroy();
    throw abortedError(signal, key);
  }
  const partSize = partSizeFor(config, length);
  const integrity = new IntegrityStream(partSize, length, key);
  const attempt: AttemptState = { multipartStarted: false };
  source.stream.on('error', (error) => integrity.destroy(error));
  source.stream.pipe(integrity);

  const controller = new AbortController();
  const upload = new Upload({
    // Aborting must cancel the requests in flight too, not only stop new parts (see abortable-client.ts).
    client: trackingStores(abortableClient(client, controller.signal), cleanup, attempt),
    params: { ...putParams(target, options, length), Body: integrity },
    partSize,
    queueSize: config.queueSize,
    leavePartsOnError: false,
    abortController: controller,
  });
  if (options.onProgress) {
    const report = options.onProgress;
    upload.on('httpUploadProgress', (progress) => report({ loaded: progress.loaded ?? 0, total: length }));
  }
  const onAbort = () => {
    controller.abort();
    const reason = abortedError(signal as AbortSignal, key);
    integrity.destroy(reason);
    source.stream.destroy(reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let etag: string | undefined;
  try {
    const output = await upload.done();
    etag = output.ETag;
  } catch (error) {
    source.stream.destroy();
    if (!(await abortUnfinished(upload, target, attempt.multipartStarted))) {
      cleanup.sweepNeeded = true;
    }
    if (signal?.aborted) throw abortedError(signal, key);
    throw toStorageError(error, context);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  // Stored: until verified (or deleted again), a failure leaves an object behind.
  cleanup.uncertain = true;
  const size = integrity.bytes;
  const check = checkEtag(etag, integrity, config.serverSideEncryption !== 'aws:kms');
  if (!check.matches) {
    if (await deleteQuietly(client, config.bucket, target.backendKey)) cleanup.uncertain = false;
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: the server reported ETag ${etag} but the bytes sent hash to ${check.expected}; the object was deleted`,
      { key, details: { etag, expected: check.expected } },
    );
  }
  if (check.kind === 'none') await verifySize(target, size, context, cleanup);
  cleanup.uncertain = false;
  options.onProgress?.({ loaded: size, total: size });
  return { key, size, etag: etag?.replace(/"/g, ''), checksum: check.kind };
}

/** Without an MD5-based ETag, at least the stored size must match what was sent. */
async function verifySize(target: UploadTarget, size: number, context: ErrorContext, state: WriteState): Promise<void> {
  const { client, config, key } = target;
  let stored: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: target.backendKey }));
    stored = head.ContentLength;
  } catch (error) {
    throw toStorageError(error, context);
  }
  if (stored !== size) {
    if (await deleteQuietly(client, config.bucket, target.backendKey)) state.uncertain = false;
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: ${size} bytes sent but ${stored} stored; the object was deleted`,
      { key },
    );
  }
}

/** Deletes the object, ignoring failures; true when it is gone. */
async function deleteQuietly(client: S3Client, bucket: string, backendKey: string): Promise<boolean> {
  return client.send(new DeleteObjectCommand({ Bucket: bucket, Key: backendKey })).then(
    () => true,
    () => false,
  );
}

/** The cleanup client, retrying each request with backoff for up to the cleanup window. */
function cleanupTarget(target: UploadTarget): { uploads: UploadsTarget; policy: RetryPolicy } {
  const window = target.cleanupWindowMs ?? DEFAULT_CLEANUP_WINDOW_MS;
  const policy: RetryPolicy = {
    retries: 12,
    minDelayMs: Math.max(target.config.retryDelayMs, 250),
    maxRetryTimeMs: window,
  };
  const uploads: UploadsTarget = {
    client: target.cleanupClient(),
    bucket: target.config.bucket,
    keyPrefix: target.config.keyPrefix,
    secrets: target.secrets,
    retry: policy,
  };
  return { uploads, policy };
}

/**
 * Makes sure a failed multipart upload does not linger: waits for the parts in
 * flight to settle (after an abort they are cancelled, so this is quick), then
 * aborts the upload id on the cleanup client, retrying with backoff for up to
 * the cleanup window. lib-storage's own abort may have gone out (after a failed
 * part) or been cancelled with the write (after an abort); a second abort of a
 * gone upload is harmless. Returns false when an upload may be left open: the
 * abort kept failing, or the server created one whose id never reached us
 * (CreateMultipartUpload's answer was lost).
 */
async function abortUnfinished(upload: Upload, target: UploadTarget, multipartStarted: boolean): Promise<boolean> {
  const internals = upload as unknown as { concurrentUploaders?: Promise<unknown>[] };
  await Promise.allSettled(internals.concurrentUploaders ?? []);
  if (!upload.uploadId) return !multipartStarted;
  const { uploads, policy } = cleanupTarget(target);
  try {
    await abortUpload(uploads, target.backendKey, upload.uploadId, policy);
    return true;
  } catch {
    return false;
  }
}

/**
 * Aborts the open multipart uploads of exactly this key that began since the
 * write did: the ones failed attempts could not abort by id. A concurrent
 * writer of the same key started in that window would lose its upload too;
 * offload never writes one key twice at once. Best effort within the cleanup
 * window: what still fails here is left to `sweepIncompleteUploads` and the
 * bucket's lifecycle rule for incomplete uploads.
 */
async function sweepOpenUploads(target: UploadTarget, startedAt: number): Promise<void> {
  const { uploads, policy } = cleanupTarget(target);
  const since = startedAt - INITIATED_SLACK_MS;
  try {
    const ours: string[] = [];
    for await (const page of listOpenUploads(uploads, target.backendKey, undefined)) {
      for (const open of page) if ((open.Initiated?.getTime() ?? since) >= since) ours.push(open.UploadId as string);
    }
    await Promise.allSettled(ours.map((uploadId) => abortUpload(uploads, target.backendKey, uploadId, policy)));
  } catch {
    // Nothing more to do from here; the caller already has the upload's own error.
  }
}
