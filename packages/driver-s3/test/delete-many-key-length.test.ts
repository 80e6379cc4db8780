/**
 * deleteMany counts the key prefix against S3's 1,024-byte key limit, as write
 * and stat do: a key that only the prefix pushes over fails the whole call with
 * INVALID_KEY before any request, so nothing is deleted; a key exactly at the
 * limit is deleted as usual.
 */

import { ErrorCode } from '@stowage/storage-core';
import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
const PREFIX = 'tenant-9/';
/** The longest caller key that still fits once the prefix is added. */
const ROOM = 1024 - Buffer.byteLength(PREFIX);
let bucket: string;
let driver: S3Driver;

/** A key of exactly `bytes` bytes, in segments short enough for MinIO's 255-byte path segments. */
function keyOfBytes(bytes: number, letter: string): string {
  const segments: string[] = [];
  for (let left = bytes; left > 0; left -= 201) segments.push(letter.repeat(Math.min(200, left)));
  const key = segments.join('/');
  expect(Buffer.byteLength(key)).toBe(bytes);
  return key;
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-delete-many-key-length');
  driver = createS3Driver({
    ...minioSettings(server, bucket),
    keyPrefix: PREFIX,
  });
});
afterAll(async () => {
  await driver.close();
  await removeTestBucket(server, bucket);
});

describe('deleteMany with a key prefix', () => {
  it('refuses a key the prefix pushes past 1,024 bytes with INVALID_KEY and deletes nothing', async () => {
    await driver.write('keep-1.txt', 'one');
    await driver.write('keep-2.txt', 'two');
    const tooLong = keyOfBytes(ROOM + 1, 'k');

    await expect(driver.deleteMany(['keep-1.txt', tooLong, 'keep-2.txt'])).rejects.toMatchObject({
      code: ErrorCode.InvalidKey,
      key: tooLong,
      message: expect.stringContaining('over the 1024-byte limit'),
    });
    expect(await driver.exists('keep-1.txt')).toBe(true);
    expect(await driver.exists('keep-2.txt')).toBe(true);
  });

  it('deletes a key exactly at the limit once the prefix is added', async () => {
    const atLimit = keyOfBytes(ROOM, 'e');
    await driver.write(atLimit, 'at the limit');
    expect(await driver.deleteMany([atLimit])).toEqual({ deleted: [atLimit], failed: [] });
    expect(await driver.exists(atLimit)).toBe(false);
  });
});
