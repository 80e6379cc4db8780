/**
 * A write that carries the body's SHA-256 (`sha256`, as offload passes it) sends
 * it as the signed payload hash of its PutObject: the SigV4 signer does not hash
 * the body again, and MinIO refuses a body that does not match, so a wrong hash
 * stores nothing.
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from '@stowage/storage-core';
import { readText } from '@stowage/storage-core/testing';
import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';
import { routeClientTo, startRecordingS3Server } from './support/recording-s3-server.js';

const server = inject('s3');
let bucket: string;
let driver: S3Driver;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-payload-sha');
  driver = createS3Driver({ ...minioSettings(server, bucket), retries: 0 });
});
afterAll(async () => {
  await driver.close();
  await removeTestBucket(server, bucket);
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('write with the body SHA-256 known', () => {
  it('sends it as x-amz-content-sha256, and the server accepts the matching body', async () => {
    const recording = await startRecordingS3Server();
    const recorded = createS3Driver({ ...minioSettings(server, bucket), retries: 0 });
    const built: Parameters<typeof routeClientTo>[2] = [];
    routeClientTo(recorded.client, recording, built);
    try {
      await recorded.write('pinned.txt', Buffer.from('hashed once'), { sha256: sha256('hashed once') });
      expect(built[0]?.headers['x-amz-content-sha256']).toBe(sha256('hashed once'));
    } finally {
      await recorded.close();
      await recording.close();
    }
    const result = await driver.write('right.txt', Buffer.from('hashed once'), { sha256: sha256('hashed once') });
    expect(result).toMatchObject({ size: 11, checksum: 'md5' });
    expect(await readText(driver, 'right.txt')).toBe('hashed once');
  });

  it('is refused by the server when the body does not match it, and nothing is stored', async () => {
    const write = driver.write('wrong.txt', Buffer.from('these bytes'), { sha256: sha256('other bytes') });
    await expect(write).rejects.toMatchObject({
      code: ErrorCode.ChecksumMismatch,
      message: expect.stringContaining('XAmzContentSHA256Mismatch'),
    });
    expect(await driver.exists('wrong.txt')).toBe(false);
  });

  it('refuses a malformed sha256 before any request', async () => {
    const write = driver.write('bad.txt', Buffer.from('x'), { sha256: 'not-a-hash' });
    await expect(write).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
  });
});
