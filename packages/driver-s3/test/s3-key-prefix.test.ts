/**
 * A driver with a key prefix: the whole conformance suite runs through it, and
 * a plain client looking at the raw bucket sees every object under the prefix
 * while nothing the driver returns (list, stat, write, copy, move, deleteMany)
 * ever shows it.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ErrorCode } from '@stowage/storage-core';
import { describeDriverConformance } from '@stowage/storage-core/testing';
import { allowAnonymousRead, createTestBucket, createTestS3Client, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
const PREFIX = 'tenant-7/media';

function prefixedDriver(bucket: string): S3Driver {
  return createS3Driver({
    ...minioSettings(server, bucket),
    keyPrefix: `/${PREFIX}/`,
    publicBaseUrl: `${server.endpoint}/${bucket}`,
  });
}

describeDriverConformance(`S3 driver with key prefix "${PREFIX}/" against MinIO`, {
  async createDriver() {
    const bucket = await createTestBucket(server, 's3-prefixed-conformance');
    await allowAnonymousRead(server, bucket);
    return prefixedDriver(bucket);
  },
  async destroyDriver(driver) {
    await removeTestBucket(server, (driver as S3Driver).bucket);
  },
  fetchPublicUrls: true,
  // Backend keys are limited to 1,024 bytes including the prefix.
  maxKeyBytes: 1024 - Buffer.byteLength(`${PREFIX}/`),
});

describe('the key prefix never leaks to callers', () => {
  let bucket: string;
  let driver: S3Driver;
  const raw = createTestS3Client(server);

  beforeAll(async () => {
    bucket = await createTestBucket(server, 's3-prefix-leak');
    driver = prefixedDriver(bucket);
  });
  afterAll(async () => {
    await driver?.close();
    raw.destroy();
    await removeTestBucket(server, bucket);
  });

  async function rawKeys(): Promise<string[]> {
    const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  it('stores under the prefix, and list/stat/write/copy/move/deleteMany answer in caller keys', async () => {
    const written = await driver.write('a/one.txt', 'one');
    expect(written.key).toBe('a/one.txt');
    await driver.write('a/two.txt', 'two');
    await driver.write('b/three.txt', 'three');
    expect(await rawKeys()).toEqual([`${PREFIX}/a/one.txt`, `${PREFIX}/a/two.txt`, `${PREFIX}/b/three.txt`]);

    const listed = [];
    for await (const entry of driver.list()) listed.push(entry.key);
    expect(listed.sort()).toEqual(['a/one.txt', 'a/two.txt', 'b/three.txt']);
    const underA = [];
    for await (const entry of driver.list('a/')) underA.push(entry.key);
    expect(underA.sort()).toEqual(['a/one.txt', 'a/two.txt']);
    expect((await driver.stat('a/one.txt')).key).toBe('a/one.txt');

    await driver.copy('a/one.txt', 'c/copy.txt');
    await driver.move('a/two.txt', 'c/moved.txt');
    expect(await rawKeys()).toEqual([
      `${PREFIX}/a/one.txt`,
      `${PREFIX}/b/three.txt`,
      `${PREFIX}/c/copy.txt`,
      `${PREFIX}/c/moved.txt`,
    ]);

    const deleted = await driver.deleteMany(['a/one.txt', 'c/copy.txt', 'c/moved.txt', 'never/was.txt']);
    expect([...deleted.deleted].sort()).toEqual(['a/one.txt', 'c/copy.txt', 'c/moved.txt', 'never/was.txt']);
    expect(deleted.failed).toEqual([]);
    expect(JSON.stringify(deleted)).not.toContain(PREFIX);
    expect(await rawKeys()).toEqual([`${PREFIX}/b/three.txt`]);
  });

  it('objects outside the key prefix are invisible to the prefixed driver', async () => {
    const outside = createS3Driver({
      ...minioSettings(server, bucket),
    });
    try {
      await outside.write('not-tenant/secret.txt', 'other tenant');
      const seen = [];
      for await (const entry of driver.list()) seen.push(entry.key);
      expect(seen).not.toContain('not-tenant/secret.txt');
      expect(seen.every((key) => !key.startsWith(PREFIX))).toBe(true);
    } finally {
      await outside.close();
    }
  });

  it('refuses a key that only the prefix pushes past 1,024 bytes with INVALID_KEY, before any request', async () => {
    const key = `long/${'k'.repeat(1024 - 'long/'.length)}`;
    expect(Buffer.byteLength(key)).toBe(1024);
    for (const attempt of [() => driver.write(key, 'x'), () => driver.stat(key), () => driver.read(key)]) {
      await expect(attempt()).rejects.toMatchObject({ code: ErrorCode.InvalidKey, key });
    }
    expect(() => driver.publicUrl(key)).toThrow(/over the 1024-byte limit/);
    expect(await rawKeys()).not.toContain(`${PREFIX}/${key}`);
  });
});
