/**
 * Batched deletes: DeleteObjects in batches of 1,000 (S3's limit), each batch
 * retried as a whole (deleting is idempotent), with per-key failures reported
 * rather than thrown. Providers without DeleteObjects (GCS interop) get single
 * deletes, a few at a time.
 */
import { DeleteObjectCommand, DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { applyKeyPrefix, type DeleteManyResult, ErrorCode, validateKey } from '@stowage/storage-core';
import pLimit from 'p-limit';
import { backendKeyFor } from './backend-key.js';
import { toStorageError } from './errors.js';
import { type RetryPolicy, withRetry } from './retry.js';

/** S3's limit of keys per DeleteObjects request. */
const BATCH_SIZE = 1000;
/** Parallel single deletes where batches are not available. */
const SINGLE_DELETE_CONCURRENCY = 8;

export interface DeleteManyTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly retry: RetryPolicy;
  readonly secrets: readonly string[];
  readonly batch: boolean;
}

// S3 reports per-key errors by name only; give them the status they would have had.
const STATUS_BY_NAME: Record<string, number> = {
  AccessDenied: 403,
  NoSuchBucket: 404,
  SlowDown: 503,
  InternalError: 500,
};

/** Deletes `keys`; throws INVALID_KEY before any I/O for a bad key (prefix included), reports per-key errors in `failed`. */
export async function deleteManyObjects(target: DeleteManyTarget, keys: readonly string[]): Promise<DeleteManyResult> {
  // Bad input fails before anything is deleted, as with every other operation. The prefixed
  // key's length counts too: the server would refuse only that key and delete the rest.
  const valid = [...new Set(keys.map((key) => validateKey(key)))];
  for (const key of valid) backendKeyFor(target.keyPrefix, key);
  const deleted: string[] = [];
  const failed: Array<{ key: string; error: Error }> = [];
  const run = target.batch ? deleteBatch : deleteSingles;
  for (let start = 0; start < valid.length; start += BATCH_SIZE) {
    await run(target, valid.slice(start, start + BATCH_SIZE), deleted, failed);
  }
  return { deleted, failed };
}

async function deleteBatch(
  target: DeleteManyTarget,
  keys: string[],
  deleted: string[],
  failed: Array<{ key: string; error: Error }>,
): Promise<void> {
  const context = { operation: 'delete', bucket: target.bucket, secrets: target.secrets };
  try {
    const output = await withRetry(target.retry, async () => {
      try {
        return await target.client.send(
          new DeleteObjectsCommand({
            Bucket: target.bucket,
            Delete: { Quiet: true, Objects: keys.map((key) => ({ Key: applyKeyPrefix(target.keyPrefix, key) })) },
          }),
        );
      } catch (error) {
        throw toStorageError(error, context);
      }
    });
    const errorsByKey = new Map<string, Error>();
    for (const entry of output.Errors ?? []) {
      const key = entry.Key?.startsWith(target.keyPrefix) ? entry.Key.slice(target.keyPrefix.length) : entry.Key;
      if (key === undefined || entry.Code === 'NoSuchKey') continue;
      const name = entry.Code ?? 'UnknownError';
      const sdkLike = Object.assign(new Error(entry.Message ?? name), {
        name,
        $metadata: { httpStatusCode: STATUS_BY_NAME[name] },
      });
      errorsByKey.set(key, toStorageError(sdkLike, { ...context, key }));
    }
    for (const key of keys) {
      const error = errorsByKey.get(key);
      if (error) failed.push({ key, error });
      else deleted.push(key);
    }
  } catch (error) {
    for (const key of keys) failed.push({ key, error: error as Error });
  }
}

async function deleteSingles(
  target: DeleteManyTarget,
  keys: string[],
  deleted: string[],
  failed: Array<{ key: string; error: Error }>,
): Promise<void> {
  const limit = pLimit(SINGLE_DELETE_CONCURRENCY);
  const deleteOne = async (key: string) => {
    try {
      await withRetry(target.retry, async () => {
        try {
          await target.client.send(
            new DeleteObjectCommand({ Bucket: target.bucket, Key: applyKeyPrefix(target.keyPrefix, key) }),
          );
        } catch (error) {
          const context = { operation: 'delete', bucket: target.bucket, key, secrets: target.secrets };
          const mapped = toStorageError(error, context);
          if (mapped.code !== ErrorCode.NotFound) throw mapped;
        }
      });
      deleted.push(key);
    } catch (error) {
      failed.push({ key, error: error as Error });
    }
  };
  await Promise.all(keys.map((key) => limit(() => deleteOne(key))));
}
