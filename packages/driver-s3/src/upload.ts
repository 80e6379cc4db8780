/**
 * Writes one object: every body streams through lib-storage's Upload (a single
 * PUT when it fits in one part, else a multipart upload with uniform parts),
 * through an IntegrityStream that counts and hashes it. The returned ETag is
 * compared with the computed MD5; on mismatch the object is deleted. A failed or
 * aborted multipart upload is aborted on the server, after its in-flight parts
 * settled, so no unfinished upload stays behind. An abort cancels the parts in
 * flight, so the write rejects promptly even on a slow link.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
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
import { type ErrorContext, toStorageError } from './errors.js';
import { checkEtag, IntegrityStream } from './integrity.js';
import { withRetry } from './retry.js';

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
  const cleanup: CleanupState = { sweepNeeded: false };
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
  } finally {
    if (cleanup.sweepNeeded) await sweepOpenUploads(target, startedAt);
  }
}

/** Set by a failed attempt that may have left a multipart upload it could not abort. */
interface CleanupState {
  sweepNeeded: boolean;
}

async function uploadOnce(
  target: UploadTarget,
  source: NormalizedBody,
  length: number | undefined,
  options: WriteOptions,
  context: ErrorContext,
  cleanup: CleanupState,
): Promise<WriteResult> {
  const { client, config, key } = target;
  const { signal } = options;
  if (signal?.aborted) {
    source.stream.destroy();
    throw abortedError(signal, key);
  }
  const partSize = partSizeFor(config, length);
  const integrity = new IntegrityStream(partSize, length, key);
  source.stream.on('error', (error) => integrity.destroy(error));
  source.stream.pipe(integrity);

  const controller = new AbortController();
  const upload = new Upload({
    // Aborting must cancel the requests in flight too, not only stop new parts (see abortable-client.ts).
    client: abortableClient(client, controller.signal),
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
    const multipartPossible = length === undefined || length >= partSize;
    if (!(await abortUnfinished(upload, target, multipartPossible))) {
      cleanup.sweepNeeded = true;
    }
    if (signal?.aborted) throw abortedError(signal, key);
    throw toStorageError(error, context);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const size = integrity.bytes;
  const check = checkEtag(etag, integrity, config.serverSideEncryption !== 'aws:kms');
  if (!check.matches) {
    await deleteQuietly(client, config.bucket, target.backendKey);
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: the server reported ETag ${etag} but the bytes sent hash to ${check.expected}; the object was deleted`,
      { key, details: { etag, expected: check.expected } },
    );
  }
  if (check.kind === 'none') await verifySize(target, size, context);
  options.onProgress?.({ loaded: size, total: size });
  return { key, size, etag: etag?.replace(/"/g, ''), checksum: check.kind };
}

/** Without an MD5-based ETag, at least the stored size must match what was sent. */
async function verifySize(target: UploadTarget, size: number, context: ErrorContext): Promise<void> {
  const { client, config, key } = target;
  let stored: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: target.backendKey }));
    stored = head.ContentLength;
  } catch (error) {
    throw toStorageError(error, context);
  }
  if (stored !== size) {
    await deleteQuietly(client, config.bucket, target.backendKey);
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: ${size} bytes sent but ${stored} stored; the object was deleted`,
      { key },
    );
  }
}

async function deleteQuietly(client: S3Client, bucket: string, backendKey: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: backendKey })).catch(() => undefined);
}

/**
 * Makes sure a failed multipart upload does not linger: waits for the parts in
 * flight to settle (after an abort they are cancelled, so this is quick), then
 * aborts the upload id on the cleanup client. lib-storage's own abort may have
 * gone out (after a failed part) or been cancelled with the write (after an
 * abort); a second abort of a gone upload is harmless. Returns
 * false when an upload may be left open: the abort failed, or the server
 * created one whose id never reached us (CreateMultipartUpload's answer timed out).
 */
async function abortUnfinished(upload: Upload, target: UploadTarget, multipartPossible: boolean): Promise<boolean> {
  const internals = upload as unknown as { concurrentUploaders?: Promise<unknown>[] };
  await Promise.allSettled(internals.concurrentUploaders ?? []);
  if (!upload.uploadId) return !multipartPossible;
  try {
    await target.cleanupClient().send(
      new AbortMultipartUploadCommand({
        Bucket: target.config.bucket,
        Key: target.backendKey,
        UploadId: upload.uploadId,
      }),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Aborts the open multipart uploads of exactly this key that began since the
 * write did: the ones failed attempts could not abort by id. A concurrent
 * writer of the same key started in that window would lose its upload too;
 * offload never writes one key twice at once. Best effort: what still fails
 * here is left to the bucket's lifecycle rule for incomplete uploads.
 */
async function sweepOpenUploads(target: UploadTarget, startedAt: number): Promise<void> {
  const { config, backendKey } = target;
  const client = target.cleanupClient();
  const since = startedAt - INITIATED_SLACK_MS;
  try {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: config.bucket,
          Prefix: backendKey,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      const ours = (page.Uploads ?? []).filter(
        (open) => open.Key === backendKey && open.UploadId && (open.Initiated?.getTime() ?? since) >= since,
      );
      await Promise.allSettled(
        ours.map((open) =>
          client.send(
            new AbortMultipartUploadCommand({ Bucket: config.bucket, Key: backendKey, UploadId: open.UploadId }),
          ),
        ),
      );
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  } catch {
    // Nothing more to do from here; the caller already has the upload's own error.
  }
}
