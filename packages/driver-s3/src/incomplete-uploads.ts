/**
 * Incomplete multipart uploads: listing them page by page, aborting one with
 * retries, and the operator's sweep. An upload left open keeps its parts (and
 * their storage bill) until someone aborts it; a process killed mid-upload
 * cannot, so the sweep and a bucket lifecycle rule (lifecycle.ts) are the two
 * ways they go away.
 *
 * Listing sends a `Prefix` only for one exact key: MinIO treats `Prefix` as an
 * exact object name (a folder-like prefix lists nothing there), so the sweep of
 * a whole key prefix lists the bucket's uploads and filters them here. S3 and
 * R2 accept both forms. MinIO answers the bucket-wide listing from memory: it
 * forgets uploads across a server restart (the per-key listing still finds
 * them; MinIO removes uploads older than its `stale_uploads_expiry`, 24 h by
 * default, on its own), and may keep one whose Complete or Abort was cut off
 * after it acted; aborting such a ghost answers NoSuchUpload, which counts as
 * aborted.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 */
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type MultipartUpload,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  abortedError,
  type ResolvedSweepOptions,
  type StorageError,
  type SweepIncompleteUploadsResult,
  stripKeyPrefix,
} from '@stowage/storage-core';
import pLimit from 'p-limit';
import { backendKeyFor } from './backend-key.js';
import { toStorageError } from './errors.js';
import { type RetryPolicy, withRetry } from './retry.js';

/** Where uploads are listed and aborted. */
export interface UploadsTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly secrets: readonly string[];
  /** Retries of each listing page and each abort. */
  readonly retry: RetryPolicy;
}

/** Aborts in flight at once during a sweep. */
const ABORT_CONCURRENCY = 8;

/**
 * Yields the open uploads page by page (KeyMarker + UploadIdMarker), of exactly
 * `backendKey` when given, else of the whole bucket. Each page is retried on its own.
 */
export async function* listOpenUploads(
  target: UploadsTarget,
  backendKey: string | undefined,
  pageSize: number | undefined,
  signal?: AbortSignal,
): AsyncGenerator<MultipartUpload[]> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    if (signal?.aborted) throw abortedError(signal);
    const page = await withRetry(
      target.retry,
      async () => {
        try {
          return await target.client.send(
            new ListMultipartUploadsCommand({
              Bucket: target.bucket,
              ...(backendKey !== undefined ? { Prefix: backendKey } : {}),
              ...(pageSize !== undefined ? { MaxUploads: pageSize } : {}),
              ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
              ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
            }),
            signal ? { abortSignal: signal } : {},
          );
        } catch (error) {
          if (signal?.aborted) throw abortedError(signal);
          throw toStorageError(error, {
            operation: 'list incomplete uploads',
            bucket: target.bucket,
            secrets: target.secrets,
          });
        }
      },
      { signal },
    );
    const uploads = (page.Uploads ?? []).filter(
      (upload) =>
        upload.Key !== undefined &&
        upload.UploadId !== undefined &&
        (backendKey !== undefined ? upload.Key === backendKey : upload.Key.startsWith(target.keyPrefix)),
    );
    yield uploads;
    const nextKey = page.NextKeyMarker ?? '';
    const nextId = page.NextUploadIdMarker ?? '';
    // A server that says "truncated" without moving its markers would page forever: stop instead.
    if (!page.IsTruncated || (nextKey === (keyMarker ?? '') && nextId === (uploadIdMarker ?? ''))) return;
    keyMarker = nextKey;
    uploadIdMarker = nextId;
  }
}

/**
 * Aborts one upload, retrying transient failures under `policy`. An upload
 * that is already gone (NoSuchUpload, 404) counts as aborted.
 */
export async function abortUpload(
  target: UploadsTarget,
  backendKey: string,
  uploadId: string,
  policy: RetryPolicy = target.retry,
  signal?: AbortSignal,
): Promise<void> {
  const key = stripKeyPrefix(target.keyPrefix, backendKey);
  try {
    await withRetry(
      policy,
      async () => {
        try {
          await target.client.send(
            new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: backendKey, UploadId: uploadId }),
            signal ? { abortSignal: signal } : {},
          );
        } catch (error) {
          if (signal?.aborted) throw abortedError(signal, key);
          throw toStorageError(error, {
            operation: 'abort incomplete upload of',
            bucket: target.bucket,
            key,
            secrets: target.secrets,
          });
        }
      },
      { signal, key },
    );
  } catch (error) {
    if ((error as StorageError).code === 'NOT_FOUND') return;
    throw error;
  }
}

/**
 * Aborts the incomplete uploads under the driver's key prefix (or of one key)
 * started before `now - olderThanMs`, by the server's initiation time. Uploads
 * without an initiation time are left alone: their age is unknown.
 */
export async function sweepIncompleteUploads(
  target: UploadsTarget,
  options: ResolvedSweepOptions,
): Promise<SweepIncompleteUploadsResult> {
  const cutoff = Date.now() - options.olderThanMs;
  const backendKey = options.key === undefined ? undefined : backendKeyFor(target.keyPrefix, options.key);
  // Listed to the end before aborting: MinIO loses its place when the upload a marker names is aborted meanwhile.
  const due: MultipartUpload[] = [];
  for await (const page of listOpenUploads(target, backendKey, options.pageSize, options.signal)) {
    due.push(...page.filter((upload) => upload.Initiated !== undefined && upload.Initiated.getTime() < cutoff));
  }
  let aborted = 0;
  const failed: Array<{ key: string; uploadId: string; error: Error }> = [];
  const limit = pLimit(ABORT_CONCURRENCY);
  const abortOne = async (upload: MultipartUpload) => {
    if (options.signal?.aborted) return;
    const uploadKey = upload.Key as string;
    try {
      await abortUpload(target, uploadKey, upload.UploadId as string, target.retry, options.signal);
      aborted++;
    } catch (error) {
      const key = stripKeyPrefix(target.keyPrefix, uploadKey);
      failed.push({ key, uploadId: upload.UploadId as string, error: error as Error });
    }
  };
  await Promise.all(due.map((upload) => limit(() => abortOne(upload))));
  if (options.signal?.aborted) throw abortedError(options.signal);
  return { aborted, failed };
}
