/**
 * Uniquely named buckets so test files sharing one server never see each
 * other's objects, and a way to remove them again on servers that outlive the run.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import type { S3TestServerInfo } from './server-info.js';
import { createTestS3Client } from './test-s3-client.js';

/** Room left for the prefix in a 63-character bucket name after "-<time>-<random>". */
const MAX_PREFIX_LENGTH = 40;

/** Checks a bucket name prefix before anything is sent; throws INVALID_INPUT naming the problem. */
function validatePrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(prefix))
    throw new StorageError(
      ErrorCode.InvalidInput,
      `createTestBucket: prefix "${String(prefix)}" must be lower-case letters, digits and inner hyphens (S3 bucket name rules)`,
    );
  if (prefix.length > MAX_PREFIX_LENGTH)
    throw new StorageError(
      ErrorCode.InvalidInput,
      `createTestBucket: prefix "${prefix}" is ${prefix.length} characters; at most ${MAX_PREFIX_LENGTH} leave room for the unique suffix`,
    );
}

/** A fresh bucket name `<prefix>-<time>-<random>`, valid under S3 naming rules. */
export function uniqueBucketName(prefix: string): string {
  validatePrefix(prefix);
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Creates a new uniquely named bucket with the server's root credentials and returns its name. */
export async function createTestBucket(info: S3TestServerInfo, prefix: string): Promise<string> {
  const bucket = uniqueBucketName(prefix);
  const client = createTestS3Client(info);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  } finally {
    client.destroy();
  }
}

/** Deletes every object and unfinished multipart upload in `bucket`, then the bucket. Missing bucket: no-op. */
export async function removeTestBucket(info: S3TestServerInfo, bucket: string): Promise<void> {
  const client = createTestS3Client(info);
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchBucket') return;
    throw error;
  } finally {
    client.destroy();
  }
}
