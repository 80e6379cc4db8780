/**
 * Listing by plain key prefix, paging with ListObjectsV2 continuation tokens.
 * Each page request is retried on its own (a page is idempotent); the driver's
 * key prefix is added to the request and removed from every returned key.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { abortedError, type ListEntry, stripKeyPrefix } from '@stowage/storage-core';
import { toStorageError } from './errors.js';
import { type RetryPolicy, withRetry } from './retry.js';

export interface ListTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly retry: RetryPolicy;
  readonly secrets: readonly string[];
}

/** Largest page S3 returns. */
const MAX_PAGE_SIZE = 1000;

/** Yields every object under `prefix` (caller's view), one page at a time. */
export async function* listObjects(
  target: ListTarget,
  prefix: string,
  pageSize: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<ListEntry> {
  const maxKeys = Math.min(Math.max(1, Math.floor(pageSize ?? MAX_PAGE_SIZE)), MAX_PAGE_SIZE);
  let token: string | undefined;
  do {
    if (signal?.aborted) throw abortedError(signal);
    const page = await withRetry(
      target.retry,
      async () => {
        try {
          return await target.client.send(
            new ListObjectsV2Command({
              Bucket: target.bucket,
              Prefix: target.keyPrefix + prefix,
              MaxKeys: maxKeys,
              ...(token ? { ContinuationToken: token } : {}),
            }),
            signal ? { abortSignal: signal } : {},
          );
        } catch (error) {
          throw toStorageError(error, { operation: 'list', bucket: target.bucket, secrets: target.secrets });
        }
      },
      { signal },
    );
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      yield {
        key: stripKeyPrefix(target.keyPrefix, item.Key),
        size: item.Size ?? 0,
        etag: item.ETag?.replace(/"/g, ''),
        lastModified: item.LastModified ?? new Date(0),
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
