/**
 * An aborted write stops promptly: the parts in flight are cancelled, not left
 * to finish or time out. MinIO sits behind toxiproxy limiting the upload to
 * 512 KB/s, so one 5 MiB part takes about ten seconds and the request timeout
 * is two minutes; the write must still reject within about two seconds of the
 * abort and leave no unfinished upload and no object behind. A write whose
 * signal never fires sends exactly the requests it sends without one.
 */
import { getEventListeners } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { ErrorCode, type WriteBody } from '@stowage/storage-core';
import { digestStream, generatedStream } from '@stowage/storage-core/testing';
import {
  createS3Proxy,
  createTestBucket,
  createTestS3Client,
  removeTestBucket,
  type ToxiproxyProxy,
} from '@stowage/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';
import { type RecordedRequest, startRecordingS3Server } from './support/recording-s3-server.js';

const toxiproxy = await fileToxiproxy();

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
/** How long after the abort the write may take to reject. */
const PROMPT_MS = 2_000;
const server = inject('s3');
const raw = createTestS3Client(server);
let bucket: string;
let direct: S3Driver;
let proxy: ToxiproxyProxy;
let slow: S3Driver;
let dir: string;
let bigFile: string;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-abort-in-flight');
  direct = createS3Driver({
    ...minioSettings(server, bucket),
    partSize: 5 * MiB,
  });
  dir = await mkdtemp(join(tmpdir(), 'stowage-abort-'));
  bigFile = join(dir, 'big.bin');
  await pipeline(generatedStream(SIZE, 11), createWriteStream(bigFile));
});
afterAll(async () => {
  await direct.close();
  raw.destroy();
  await removeTestBucket(server, bucket);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  const created = await createS3Proxy(toxiproxy, server);
  proxy = created.proxy;
  await proxy.addToxic({ type: 'bandwidth', attributes: { rate: 512 }, stream: 'upstream' });
  slow = createS3Driver({
    ...minioSettings(server, bucket, created.info.endpoint),
    partSize: 5 * MiB,
    requestTimeoutMs: 120_000,
  });
});
afterEach(async () => {
  await slow.close();
  await proxy.delete();
});

async function openUploads(key: string): Promise<string[]> {
  const listed = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return (listed.Uploads ?? []).filter((upload) => upload.Key === key).map((upload) => upload.UploadId ?? '');
}

/** Starts the write, aborts it once a second has passed, and returns the error and how long the write took after the abort. */
async function abortAfterOneSecond(key: string, body: WriteBody): Promise<{ error: unknown; afterAbortMs: number }> {
  const controller = new AbortController();
  const settled = slow.write(key, body, { signal: controller.signal }).then(
    () => ({ error: undefined, at: Date.now() }),
    (error: unknown) => ({ error, at: Date.now() }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const abortedAt = Date.now();
  controller.abort(new Error('user cancelled'));
  const { error, at } = await settled;
  return { error, afterAbortMs: at - abortedAt };
}

describe('aborting a single PutObject on a slow link', () => {
  it('bytes in memory (sent by direct-put.ts): rejects with ABORTED within two seconds, leaving no object', async () => {
    const key = 'aborted/bytes.bin';
    const { error, afterAbortMs } = await abortAfterOneSecond(key, Buffer.alloc(4 * MiB, 5));
    expect(error).toMatchObject({ code: ErrorCode.Aborted, key });
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    expect(await direct.exists(key)).toBe(false);
  });
});

describe('aborting a multipart write on a slow link', () => {
  it('a generated stream: rejects with ABORTED within two seconds, leaving no upload and no object', async () => {
    const key = 'aborted/stream.bin';
    const { error, afterAbortMs } = await abortAfterOneSecond(key, generatedStream(SIZE, 12));
    expect(error).toMatchObject({ code: ErrorCode.Aborted, key });
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    await vi.waitFor(async () => expect(await openUploads(key)).toEqual([]), { timeout: 5_000, interval: 250 });
    expect(await direct.exists(key)).toBe(false);
  });

  it('a file path: rejects with ABORTED within two seconds, leaving no upload and no object', async () => {
    const key = 'aborted/file.bin';
    const { error, afterAbortMs } = await abortAfterOneSecond(key, { filePath: bigFile });
    expect(error).toMatchObject({ code: ErrorCode.Aborted, key });
    expect(afterAbortMs).toBeLessThan(PROMPT_MS);
    await vi.waitFor(async () => expect(await openUploads(key)).toEqual([]), { timeout: 5_000, interval: 250 });
    expect(await direct.exists(key)).toBe(false);
  });
});

describe('a signal that never fires', () => {
  it('a multipart write with a live signal stores the body intact and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    const result = await direct.write('live-signal.bin', generatedStream(12 * MiB, 13), { signal: controller.signal });
    expect(result).toMatchObject({ key: 'live-signal.bin', size: 12 * MiB });
    expect(await digestStream(await direct.read('live-signal.bin'))).toEqual(
      await digestStream(generatedStream(12 * MiB, 13)),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('sends exactly the requests a write without a signal sends', async () => {
    const recorder = await startRecordingS3Server();
    const driver = createS3Driver({
      provider: 'minio',
      endpoint: recorder.endpoint,
      bucket: 'recorded',
      accessKeyId: 'AKIDSTOWAGEEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI-example-secret',
      partSize: 5 * MiB,
    });
    try {
      await driver.write('plain.bin', generatedStream(11 * MiB, 14));
      const plain = recorder.requests.splice(0).map(shape);
      await driver.write('plain.bin', generatedStream(11 * MiB, 14), { signal: new AbortController().signal });
      const signalled = recorder.requests.splice(0).map(shape);
      expect(plain.some((line) => line.startsWith('PUT partNumber&uploadId'))).toBe(true);
      expect(signalled.sort()).toEqual(plain.sort());
    } finally {
      await driver.close();
      await recorder.close();
    }
  });
});

// Header values and upload ids differ between runs; names, query keys and body sizes must not.
function shape(request: RecordedRequest): string {
  const query = [...request.query.keys()].filter((name) => name !== 'x-id').sort();
  const headers = Object.keys(request.headers).sort();
  return `${request.method} ${query.join('&')} ${request.path} ${request.bodyBytes} ${headers.join(',')}`;
}
