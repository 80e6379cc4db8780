/**
 * Lets anyone read a test bucket's objects without signing (a public-read
 * bucket policy), so tests can fetch public URLs with plain `fetch`.
 */
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import type { S3TestServerInfo } from './server-info.js';
import { createTestS3Client } from './test-s3-client.js';

/** The policy document: GetObject for everyone on every object of `bucket`, nothing else. */
export function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  });
}

/** Makes `bucket`'s objects readable anonymously (listing stays private). Throws MISCONFIGURED when refused. */
export async function allowAnonymousRead(info: S3TestServerInfo, bucket: string): Promise<void> {
  const client = createTestS3Client(info);
  try {
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
  } catch (error) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `allowAnonymousRead: the server refused a public-read policy on "${bucket}"`,
      {
        cause: error,
      },
    );
  } finally {
    client.destroy();
  }
}
