/**
 * Streaming writes against real MinIO: integrity checks, multipart uploads that
 * leave nothing behind when aborted or refused, and a 200 MiB stream read back
 * byte for byte without ever holding it in memory.
 */
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { ErrorCode, type TransferProgress } from '@stowage/storage-core';
import { digestStream, generatedStream } from '@stowage/storage-core/testing';
import { createTestBucket, createTestS3Client, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';
import { startRecordingS3Server } from './support/recording-s3-server.js';

const MiB = 1024 * 1024;
const server = inject('s3');
let bucket: string;
let driver: S3Driver;

async function unfinishedUploads(): Promise<string[]> {
  const client = createTestS3Client(server);
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (listed.Uploads ?? []).map((upload) => upload.Key ?? '');
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-upload');
  driver = createS3Driver({
    ...minioSettings(server, bucket),
    partSize: 5 * MiB,
    keyPrefix: 'tenant-a/',
  });
});
afterAll(async () => {
  await driver.close();
  await removeTestBucket(server, bucket);
});

describe('write integrity', () => {
  it('verifies a single-part write against the hex MD5 ETag', async () => {
    const result = await driver.write('small.txt', 'small body');
    expect(result).toMatchObject({ key: 'small.txt', size: 10, checksum: 'md5' });
    expect(result.etag).toMatch(/^[0-9a-f]{32}$/);
  });

  it('verifies a multipart stream against the multipart ETag computed from uniform parts', async () => {
    const size = 17 * MiB + 5;
    const result = await driver.write('multi.bin', generatedStream(size, 3));
    expect(result).toMatchObject({ size, checksum: 'multipart-md5' });
    expect(result.etag).toMatch(/^[0-9a-f]{32}-4$/);
    const back = await digestStream(await driver.read('multi.bin'));
    expect(back).toEqual(await digestStream(generatedStream(size, 3)));
  });

  it('deletes the object and throws CHECKSUM_MISMATCH when the stored ETag does not match the bytes sent', async () => {
    const recorder = await startRecordingS3Server({ etagFor: () => '0123456789abcdef0123456789abcdef' });
    const target = createS3Driver({
      provider: 'minio',
      endpoint: recorder.endpoint,
      bucket: 'media',
      accessKeyId: 'AKID',
      secretAccessKey: 'secret-123',
    });
    try {
      await expect(target.write('photo.png', 'bytes that will not match')).rejects.toMatchObject({
        code: ErrorCode.ChecksumMismatch,
        message: expect.stringMatching(/the object was deleted/),
      });
      expect(recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'PUT /media/photo.png',
        'DELETE /media/photo.png',
      ]);
    } finally {
      await target.close();
      await recorder.close();
    }
  });
});

describe('multipart uploads leave nothing behind', () => {
  it('an abort mid-upload rejects with ABORTED, and ListMultipartUploads shows no unfinished upload', async () => {
    const controller = new AbortController();
    const events: TransferProgress[] = [];
    const write = driver.write('aborted.bin', generatedStream(64 * MiB, 4), {
      signal: controller.signal,
      onProgress: (progress) => {
        events.push(progress);
        if (progress.loaded >= 5 * MiB) controller.abort(new Error('user cancelled'));
      },
    });
    await expect(write).rejects.toMatchObject({ code: ErrorCode.Aborted });
    expect(events.length).toBeGreaterThan(0);
    expect(await unfinishedUploads()).toEqual([]);
    expect(await driver.exists('aborted.bin')).toBe(false);
  });

  it('a stream longer than its declared contentLength fails with INVALID_INPUT and leaves no upload', async () => {
    const write = driver.write('too-long.bin', generatedStream(12 * MiB, 5), { contentLength: 6 * MiB });
    await expect(write).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect(await unfinishedUploads()).toEqual([]);
    expect(await driver.exists('too-long.bin')).toBe(false);
  });

  it('ifNotExists refuses a multipart upload over an existing key, keeping the old object', async () => {
    await driver.write('kept.bin', 'original');
    const write = driver.write('kept.bin', generatedStream(11 * MiB, 6), { ifNotExists: true });
    await expect(write).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
    expect(await unfinishedUploads()).toEqual([]);
    expect((await driver.stat('kept.bin')).size).toBe('original'.length);
  });

  it('reports monotonic progress ending at the full size for a multipart stream', async () => {
    const size = 12 * MiB + 1;
    const events: TransferProgress[] = [];
    await driver.write('progress.bin', generatedStream(size, 7), { onProgress: (p) => events.push(p) });
    const loaded = events.map((event) => event.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(events.at(-1)).toEqual({ loaded: size, total: size });
  });
});

describe('large streamed upload', () => {
  it('streams 200 MiB and reads it back byte for byte (hash-compared while streaming)', async () => {
    const size = 200 * MiB;
    const result = await driver.write('large/200mib.bin', generatedStream(size, 42));
    expect(result).toMatchObject({ size, checksum: 'multipart-md5' });
    const [back, expected] = await Promise.all([
      digestStream(await driver.read('large/200mib.bin')),
      digestStream(generatedStream(size, 42)),
    ]);
    expect(back).toEqual(expected);
    expect(back.bytes).toBe(size);
    await driver.delete('large/200mib.bin');
  }, 240_000);
});
