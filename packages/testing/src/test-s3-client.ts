/**
 * A plain AWS SDK client for a test server: path-style (MinIO on 127.0.0.1 has
 * no per-bucket host names), the server's region, and either the root
 * credentials or a test user's.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3TestServerInfo } from './server-info.js';

/** Credentials of a test user (see `createMinioUser`). */
export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** An S3Client for `info`, with `credentials` instead of the root ones when given. Destroy it when done. */
export function createTestS3Client(
  info: S3TestServerInfo,
  credentials: TestCredentials = info,
  overrides: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    ...overrides,
  });
}
