/**
 * Offload to a real S3 server (MinIO): same relative key plus the backend's key
 * prefix, the driver's checksum kind reported, our SHA-256 stored as metadata,
 * and locations that never show the prefix.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { createTestBucket, removeTestBucket } from '../packages/driver-s3/src/testing/index.js';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, fileSha256, sha256, type Workspace } from './support/fixture.js';
import { inspectBucket } from './support/s3-inspect.js';

describe('offload to MinIO', () => {
  const s3 = inject('s3');
  let bucket: string;
  let bucketView: ReturnType<typeof inspectBucket>;
  let ws: Workspace;
  let storage: Storage;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'offload-s3');
    bucketView = inspectBucket(s3, bucket);
  });
  afterAll(async () => {
    bucketView.close();
    await removeTestBucket(s3, bucket);
  });
  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: 'tenant-a/media',
      publicBaseUrl: 'https://cdn.example.com',
      partSize: 5 * 1024 * 1024,
      deleteLocal: true,
    });
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('stores a small result under the key prefix, MD5-verified, and reports the caller key in its location', async () => {
    const sha = await ws.addResult('images/gemini/one.png', 2048);
    const outcome = await storage.offload({ path: 'images/gemini/one.png' });
    expect(outcome).toMatchObject({
      status: 'offloaded',
      location: 'minio:images/gemini/one.png',
      checksum: 'md5',
      url: 'https://cdn.example.com/tenant-a/media/images/gemini/one.png',
      localDeleted: true,
      sha256: sha,
    });
    expect((await bucketView.view('tenant-a/media/images/gemini/')).objects).toEqual([
      { key: 'tenant-a/media/images/gemini/one.png', size: 2048, sha256: sha },
    ]);
    expect(await fileSha256(join(ws.resultsRoot, 'images/gemini/one.png'))).toBeUndefined();
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    expect(storage.publicUrl(outcome.location)).toBe(outcome.url);
    const signed = await storage.signedUrl(outcome.location, { expiresIn: 60 });
    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha);
  });

  it('verifies a multipart upload by its multipart ETag and leaves no upload open', async () => {
    const size = 11 * 1024 * 1024;
    const sha = await ws.addResult('videos/long.mp4', size);
    const outcome = await storage.offload({ path: 'videos/long.mp4', contentType: 'video/mp4' });
    expect(outcome).toMatchObject({ status: 'offloaded', checksum: 'multipart-md5', size, localDeleted: true });
    const view = await bucketView.view('tenant-a/media/videos/');
    expect(view).toEqual({ objects: [{ key: 'tenant-a/media/videos/long.mp4', size, sha256: sha }], openUploads: [] });
    expect((await storage.stat(outcome.location)).contentType).toBe('video/mp4');
  });

  it('reports rejected credentials as a local outcome and logs it through pino without the secret', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const wrongSecret = 'wrong-secret-must-not-appear-anywhere-0123';
    const other = await ws.open({ logger });
    other.registry.register(minioDriverDefinition);
    await other.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: wrongSecret,
      retries: 0,
    });
    await other.registry.enable('minio');
    await other.registry.setDefault('minio');
    const sha = await ws.addResult('denied.png');

    const outcome = await other.offload({ path: 'denied.png' });
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.InvalidCredentials);
    expect(await fileSha256(join(ws.resultsRoot, 'denied.png'))).toBe(sha);
    const log = lines.join('');
    expect(log).toMatch(/"code":"INVALID_CREDENTIALS"/);
    expect(log).not.toContain(wrongSecret);
    expect(log).not.toContain(s3.secretAccessKey);
    expect(JSON.stringify(outcome)).not.toContain(wrongSecret);
  });
});
