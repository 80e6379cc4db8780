import { ErrorCode, isStorageError, StorageError } from '@stowage/storage-core';
import { createMinioUser, createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { classifyS3Error, createS3Driver, type S3Driver, toStorageError } from '../src/index.js';

const server = inject('s3');

describe('classification of S3 errors', () => {
  it.each([
    [404, 'NoSuchKey', ErrorCode.NotFound],
    [404, 'NotFound', ErrorCode.NotFound],
    [404, 'NoSuchBucket', ErrorCode.BucketNotFound],
    [403, 'InvalidAccessKeyId', ErrorCode.InvalidCredentials],
    [403, 'SignatureDoesNotMatch', ErrorCode.InvalidCredentials],
    [401, 'Unauthorized', ErrorCode.InvalidCredentials],
    [403, 'AccessDenied', ErrorCode.AccessDenied],
    [403, '403', ErrorCode.AccessDenied],
    [403, 'RequestTimeTooSkewed', ErrorCode.ClockSkew],
    [412, 'PreconditionFailed', ErrorCode.PreconditionFailed],
    [416, 'InvalidRange', ErrorCode.RangeNotSatisfiable],
    [429, 'TooManyRequests', ErrorCode.Unavailable],
    [503, 'SlowDown', ErrorCode.Unavailable],
    [500, 'InternalError', ErrorCode.Unavailable],
    [501, 'NotImplemented', ErrorCode.Unsupported],
  ] as const)('HTTP %i %s → %s', (status, name, code) => {
    expect(classifyS3Error(status, name)).toBe(code);
  });

  it('maps network failures by errno, keeps the cause and never puts a secret in the message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1 with key s3cr3t'), {
      code: 'ECONNREFUSED',
    });
    const error = toStorageError(refused, { operation: 'read', bucket: 'media', key: 'a.png', secrets: ['s3cr3t'] });
    expect(error).toBeInstanceOf(StorageError);
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(refused);
    expect(error.message).toContain('read "a.png" in bucket "media" failed');
    expect(error.message).not.toContain('s3cr3t');
    const timeout = toStorageError(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), {
      operation: 'write',
      bucket: 'media',
    });
    expect(timeout.code).toBe(ErrorCode.Timeout);
  });
});

describe('exists and stat against MinIO', () => {
  let bucket: string;
  let root: S3Driver;
  let writeOnly: S3Driver;

  beforeAll(async () => {
    bucket = await createTestBucket(server, 's3-errors');
    const common = { provider: 'minio', endpoint: server.endpoint, bucket, retries: 0 } as const;
    root = createS3Driver({ ...common, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
    const user = await createMinioUser(server, { policy: 'write-only', bucket });
    writeOnly = createS3Driver({ ...common, ...user });
    await root.write('present.txt', 'here');
  });
  afterAll(async () => {
    await root.close();
    await writeOnly.close();
    await removeTestBucket(server, bucket);
  });

  it('tells a missing object (false) from a present one (true)', async () => {
    expect(await root.exists('present.txt')).toBe(true);
    expect(await root.exists('absent.txt')).toBe(false);
  });

  it('throws ACCESS_DENIED instead of answering true or false when HEAD is forbidden', async () => {
    const error = await writeOnly.exists('present.txt').catch((caught: unknown) => caught);
    expect(isStorageError(error, ErrorCode.AccessDenied)).toBe(true);
    expect((error as StorageError).status).toBe(403);
    await expect(writeOnly.stat('present.txt')).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
  });

  it('stat on a missing key is NOT_FOUND with the key and the bucket in the message', async () => {
    await expect(root.stat('absent.txt')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
      key: 'absent.txt',
      message: expect.stringContaining(`"absent.txt" in bucket "${bucket}"`),
    });
  });

  it('deleteMany reports per-key ACCESS_DENIED for credentials that may not delete, and deletes nothing', async () => {
    const user = await createMinioUser(server, { policy: 'no-delete', bucket });
    const noDelete = createS3Driver({ provider: 'minio', endpoint: server.endpoint, bucket, retries: 0, ...user });
    try {
      const result = await noDelete.deleteMany(['present.txt', 'absent.txt']);
      expect(result.deleted).toEqual([]);
      expect(result.failed.map(({ key, error }) => [key, (error as StorageError).code])).toEqual([
        ['present.txt', ErrorCode.AccessDenied],
        ['absent.txt', ErrorCode.AccessDenied],
      ]);
      expect(await root.exists('present.txt')).toBe(true);
    } finally {
      await noDelete.close();
    }
  });

  it('a missing bucket is BUCKET_NOT_FOUND on reads', async () => {
    const missing = createS3Driver({
      provider: 'minio',
      endpoint: server.endpoint,
      bucket: `${bucket}-gone`,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      retries: 0,
    });
    await expect(missing.read('a.txt')).rejects.toMatchObject({ code: ErrorCode.BucketNotFound });
    await missing.close();
  });
});
