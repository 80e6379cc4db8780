/**
 * Offload to a real S3 server (MinIO): same relative key plus the backend's key
 * prefix, the driver's checksum kind reported, our SHA-256 stored as metadata,
 * and locations that never show the prefix.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createS3Driver, minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ConfigError, ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createS3Proxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, eventually, fileSha256, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();

describe('offload to MinIO', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'offload-s3');
  let ws: Workspace;
  let storage: Storage;

  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
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
    expect((await bucket.view('tenant-a/media/images/gemini/')).objects).toEqual([
      { key: 'tenant-a/media/images/gemini/one.png', size: 2048, sha256: sha },
    ]);
    expect(await fileSha256(join(ws.resultsRoot, 'images/gemini/one.png'))).toBeUndefined();
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    expect(await storage.publicUrl(outcome.location)).toBe(outcome.url);
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
    const view = await bucket.view('tenant-a/media/videos/');
    expect(view).toEqual({ objects: [{ key: 'tenant-a/media/videos/long.mp4', size, sha256: sha }], openUploads: [] });
    expect((await storage.stat(outcome.location)).contentType).toBe('video/mp4');
  });

  it('aborts the upload a dead process left open when an offload takes over its expired intent', async () => {
    // A first offload: this storage's recovery has run, so only the take-over can meet what follows.
    await ws.addResult('images/first.png', 512);
    expect(await storage.offload({ path: 'images/first.png' })).toMatchObject({ status: 'offloaded' });
    const targetId = (await storage.catalog?.findByPath('images/first.png'))?.targetId as string;

    // What another server killed mid-upload leaves: its offload intent, the lease run out, an upload open at the key.
    const size = 6 * 1024 * 1024;
    const sha = await ws.addResult('takeover/taken.mp4', size);
    const file = { name: '', path: 'takeover/taken.mp4', key: 'takeover/taken.mp4', size, sha256: sha };
    await storage.catalog?.insert({
      path: file.path,
      state: 'pending',
      targetId: 'local',
      key: file.path,
      location: `local:${file.path}`,
      files: [{ ...file, contentType: 'video/mp4' }],
      metadata: {},
      localCopy: true,
      intent: {
        kind: 'offload',
        attemptId: 'killed-attempt',
        owner: 'other-server/4242/deadbeef',
        startedAt: Date.now() - 120_000,
        leaseUntil: Date.now() - 60_000,
        targetId,
        key: file.key,
        keys: [file.key],
      },
    });
    await bucket.leaveUploadOpen('tenant-a/media/takeover/taken.mp4', new Uint8Array(5 * 1024 * 1024));
    expect((await bucket.view('tenant-a/media/takeover/')).openUploads).toEqual(['tenant-a/media/takeover/taken.mp4']);

    const outcome = await storage.offload({ path: 'takeover/taken.mp4' });
    expect(outcome).toMatchObject({ status: 'offloaded', sha256: sha, localDeleted: true });
    const view = await bucket.view('tenant-a/media/takeover/');
    expect(view).toEqual({
      objects: [{ key: 'tenant-a/media/takeover/taken.mp4', size, sha256: sha }],
      openUploads: [],
    });
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
      bucket: bucket.name,
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

  it('refuses an unknown settings field such as a mistyped secret name, and never stores its value', async () => {
    const typoSecret = 'typo-secret-value-must-never-be-stored-0123';
    const attempt = storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: '',
      secret_key: typoSecret,
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({ problems: ['secret_key: unknown setting'] });
    await expect(attempt).rejects.not.toThrow(typoSecret);
    const file = await readFile(ws.settingsFile, 'utf8');
    expect(file).not.toContain(typoSecret);
    expect(file).not.toContain('secret_key');
    expect(JSON.stringify(storage.registry.providers())).not.toContain(typoSecret);
  });

  it('refuses an endpoint edited in the settings file: the backend is not used and new results stay local', async () => {
    const stored = JSON.parse(await readFile(ws.settingsFile, 'utf8'));
    stored.providers.minio.settings.endpoint = 'http://127.0.0.1:9';
    await writeFile(ws.settingsFile, JSON.stringify(stored));
    await storage.registry.reload();

    const sha = await ws.addResult('images/after-edit.png');
    const outcome = await storage.offload({ path: 'images/after-edit.png' });
    expect(outcome).toMatchObject({ status: 'local', location: 'local:images/after-edit.png', failedStage: 'resolve' });
    expect(outcome.error?.code).toBe(ErrorCode.Misconfigured);
    expect(outcome.error?.message).toMatch(
      /settings for "minio" were changed outside Stowage, or the app key is wrong/,
    );
    expect(outcome.error?.message).not.toContain(s3.secretAccessKey);
    expect(await fileSha256(join(ws.resultsRoot, 'images/after-edit.png'))).toBe(sha);
    await expect(storage.read('minio:images/after-edit.png')).rejects.toMatchObject({ code: ErrorCode.Misconfigured });
    expect((await bucket.view('tenant-a/media/images/after-edit')).objects).toEqual([]);
  });

  it('refuses metadata S3 would refuse before uploading anything, with the same rules as the S3 driver', async () => {
    await ws.addResult('images/meta.png');
    const attempt = storage.offload({ path: 'images/meta.png', metadata: { 'Bad Key': 'x' } });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(attempt).rejects.toThrow(/metadata key "Bad Key" must be lower-case letters, digits, "-" or "_"/);
    await expect(
      storage.registry.driver('minio').write('images/meta.png', 'x', { metadata: { 'Bad Key': 'x' } }),
    ).rejects.toThrow(/metadata key "Bad Key" must be lower-case letters, digits, "-" or "_"/);
    expect((await bucket.view('tenant-a/media/images/meta')).objects).toEqual([]);
  });
});

describe('offload over a faulty S3 link (toxiproxy)', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'offload-timeout');
  let ws: Workspace;

  /** The proxied MinIO as the enabled default, no driver retries, delete-local on, with `overrides`. */
  async function useMinio(storage: Storage, endpoint: string, overrides: Record<string, unknown>): Promise<void> {
    await storage.registry.saveSettings('minio', {
      endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      retries: 0,
      deleteLocal: true,
      ...overrides,
    });
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  }

  beforeEach(async () => {
    ws = await createWorkspace();
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('gives up after uploadTimeoutMs even when the driver would wait longer: TIMEOUT, local intact, nothing stored', async () => {
    const { proxy, info } = await createS3Proxy(toxiproxy, s3);
    try {
      // About 2 KiB/s: the 64 KiB body cannot arrive before offload's own 800 ms limit.
      await proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 2 } });
      const storage = await ws.open({ uploadTimeoutMs: 800 });
      storage.registry.register(minioDriverDefinition);
      await useMinio(storage, info.endpoint, {
        connectionTimeoutMs: 10_000,
        requestTimeoutMs: 5000,
        idleTimeoutMs: 5000,
      });
      const sha = await ws.addResult('slow/clip.mp4', 64 * 1024);

      const started = performance.now();
      const outcome = await storage.offload({ path: 'slow/clip.mp4' });
      // Offload's limit plus its abort grace, not the driver's own 5 s request timeout.
      expect(performance.now() - started).toBeLessThan(4000);
      expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
      expect(outcome.error?.code).toBe(ErrorCode.Timeout);
      expect(outcome.error?.message).toMatch(/took longer than 800 ms/);
      expect(await fileSha256(join(ws.resultsRoot, 'slow/clip.mp4'))).toBe(sha);
      // close() waits for the abandoned request to wind down; it must leave nothing behind.
      await storage.close();
      expect(await bucket.view('slow/')).toEqual({ objects: [], openUploads: [] });
    } finally {
      await proxy.delete();
    }
  });

  it('keeps the intent for the upload it could not abort, and the next offload aborts it before sending', async () => {
    const { proxy, info } = await createS3Proxy(toxiproxy, s3);
    try {
      const storage = await ws.open();
      // The minio preset with its abort retried for 1.5 s instead of a minute, so the outage can outlast it.
      storage.registry.register({
        ...minioDriverDefinition,
        create: (settings) =>
          createS3Driver({ ...settings, provider: 'minio' }, { kind: 'minio', cleanupWindowMs: 1500 }),
      });
      await useMinio(storage, info.endpoint, {
        partSize: 5 * 1024 * 1024,
        queueSize: 1,
        connectionTimeoutMs: 1000,
        requestTimeoutMs: 2500,
      });
      const size = 16 * 1024 * 1024;
      const sha = await ws.addResult('clips/cut.mp4', size);

      // About 4 MiB/s, so the upload is still open when the link goes down, and stays down.
      await proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 4096 } });
      const first = storage.offload({ path: 'clips/cut.mp4' });
      await eventually(
        async () => (await bucket.view('clips/')).openUploads.length === 1,
        10_000,
        'the multipart upload is open',
      );
      await proxy.disable();
      const failed = await first;
      expect(failed).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
      expect(failed.error?.code).toBe(ErrorCode.Unavailable);
      expect(await fileSha256(join(ws.resultsRoot, 'clips/cut.mp4'))).toBe(sha);
      const record = await storage.catalog?.findByPath('clips/cut.mp4');
      expect(record?.intent).toMatchObject({ kind: 'offload', keys: ['clips/cut.mp4'] });
      expect(record?.intent?.leaseUntil).toBeLessThanOrEqual(Date.now());

      await proxy.removeAllToxics();
      await proxy.enable();
      expect((await bucket.view('clips/')).openUploads).toEqual(['clips/cut.mp4']);
      const again = await storage.offload({ path: 'clips/cut.mp4' });
      expect(again).toMatchObject({ status: 'offloaded', sha256: sha, localDeleted: true });
      expect(await bucket.view('clips/')).toEqual({
        objects: [{ key: 'clips/cut.mp4', size, sha256: sha }],
        openUploads: [],
      });
      await storage.close();
    } finally {
      await proxy.delete();
    }
  });
});
