/**
 * Batch delete where the provider has no DeleteObjects (GCS interop): keys go
 * one by one, a few at a time, against a real server (MinIO), with the key
 * prefix applied, a missing key counted as deleted and per-key results.
 */
import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { deleteManyObjects } from '../src/delete-many.js';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
const PREFIX = 'singles/';
let bucket: string;
let driver: S3Driver;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-delete-singles');
  driver = createS3Driver({ ...minioSettings(server, bucket), keyPrefix: PREFIX });
});
afterAll(async () => {
  await driver.close();
  await removeTestBucket(server, bucket);
});

it('deletes every key one by one, counting a missing key as deleted', async () => {
  const keys = Array.from({ length: 25 }, (_, i) => `doomed/${i}.txt`);
  for (const key of keys) await driver.write(key, `body ${key}`);
  await driver.write('kept.txt', 'kept');
  const target = {
    client: driver.client,
    bucket,
    keyPrefix: PREFIX,
    retry: { retries: 0, minDelayMs: 1 },
    secrets: [],
  };
  const result = await deleteManyObjects({ ...target, batch: false }, [
    ...keys,
    'never-written.txt',
    keys[0] as string,
  ]);
  expect([...result.deleted].sort()).toEqual([...keys, 'never-written.txt'].sort());
  expect(result.failed).toEqual([]);
  const left: string[] = [];
  for await (const entry of driver.list('')) left.push(entry.key);
  expect(left).toEqual(['kept.txt']);
});
