/**
 * Reconcile against real MinIO, through toxiproxy, with the disagreements made
 * the ways they really happen: an upload whose response was lost (toxiproxy
 * `limit_data` on the downstream: MinIO stored it, Stowage never heard), an
 * object Stowage wrote that no record knows (a catalog restored from an older
 * backup), an object deleted or replaced behind Stowage's back with a plain S3 client,
 * metadata edited, bytes flipped keeping size and metadata, multipart uploads
 * left open, a file on the results disk no record knows. Fix mode goes by
 * MinIO's real lastModified against the grace period, keeps what an intent
 * names, and refuses, deleting nothing, when the settings no longer reach the
 * target. Then `storage.sweep()` and the worker's sweep schedule.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createS3Proxy, createTestS3Client, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, eventually, fileSha256, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const s3 = inject('s3');
const toxiproxy = await fileToxiproxy();
const bucket = bucketForSuite(s3, 'reconcile');
const otherBucket = bucketForSuite(s3, 'reconcile-other');
let plain: S3Client;
let proxy: ToxiproxyProxy;
let proxiedEndpoint: string;
let ws: Workspace;
let storage: Storage;
let prefix: string;

beforeAll(async () => {
  plain = createTestS3Client(s3);
  ({
    proxy,
    info: { endpoint: proxiedEndpoint },
  } = await createS3Proxy(toxiproxy, s3));
});
afterAll(async () => {
  await proxy.delete();
  plain.destroy();
});
beforeEach(async () => {
  prefix = `r-${Math.random().toString(36).slice(2, 8)}`;
  ws = await createWorkspace();
  storage = await ws.open();
  storage.registry.register(minioDriverDefinition);
  await saveMinio();
  await storage.registry.enable('minio');
  await storage.registry.setDefault('minio');
});
afterEach(async () => {
  await proxy.removeAllToxics();
  await ws.remove();
});

/** The "minio" provider: through the proxy, no SDK retries (a lost answer fails the write at once). */
async function saveMinio(overrides: Record<string, unknown> = {}): Promise<void> {
  await storage.registry.saveSettings('minio', {
    endpoint: proxiedEndpoint,
    region: s3.region,
    bucket: bucket.name,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    keyPrefix: prefix,
    retries: 0,
    ...overrides,
  });
}

/** The bucket's key of a caller's key. */
function backendKey(key: string): string {
  return `${prefix}/${key}`;
}

/** Offloads `count` results `lib/<i>.png` to MinIO. */
async function library(count: number, options: { deleteLocal?: boolean; from?: number } = {}): Promise<string[]> {
  const paths: string[] = [];
  for (let i = options.from ?? 0; i < (options.from ?? 0) + count; i++) {
    const path = `lib/${i}.png`;
    await ws.addResult(path, 3000 + i);
    expect((await storage.offload({ path }, { deleteLocal: options.deleteLocal ?? false })).status).toBe('offloaded');
    paths.push(path);
  }
  return paths;
}

/**
 * An offload whose answers are all lost: MinIO stores the object, the driver
 * sees the connection cut, and its check of the key is cut too. The result
 * stays local, its record keeping the (expired) intent for recovery.
 */
async function offloadWithLostAnswers(path: string): Promise<string> {
  await ws.addResult(path, 2500);
  await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 0 }, stream: 'downstream' });
  const outcome = await storage.offload({ path });
  await proxy.removeAllToxics();
  expect(outcome).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
  expect(await objectExists(path)).toBe(true);
  return outcome.location;
}

/**
 * An object Stowage wrote that no record knows, carrying the metadata its
 * uploads carry: what is left when the catalog is restored from a backup
 * older than the upload. (delete() no longer leaves one behind: it settles an
 * upload whose answer was lost first, tests/delete-abandoned.test.ts.)
 */
async function orphanedUpload(key: string): Promise<void> {
  const body = randomBytes(2500);
  await plain.send(
    new PutObjectCommand({
      Bucket: bucket.name,
      Key: backendKey(key),
      Body: body,
      ContentType: 'image/png',
      Metadata: { 'stowage-attempt': randomUUID(), sha256: sha256(body) },
    }),
  );
}

async function objectExists(key: string): Promise<boolean> {
  return (await bucket.view(backendKey(key))).objects.some((object) => object.key === backendKey(key));
}

/** Starts a multipart upload with one part and leaves it open, as a killed process does. */
async function openUpload(key: string): Promise<void> {
  const { UploadId } = await plain.send(
    new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: backendKey(key) }),
  );
  await plain.send(
    new UploadPartCommand({ Bucket: bucket.name, Key: backendKey(key), UploadId, PartNumber: 1, Body: 'unfinished' }),
  );
}

/** This test's open uploads (MinIO filters uploads by an exact key only, so the prefix is applied here). */
async function openUploads(): Promise<string[]> {
  const listed = await plain.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
  return (listed.Uploads ?? [])
    .map((upload) => upload.Key ?? '')
    .filter((key) => key.startsWith(`${prefix}/`))
    .map((key) => key.slice(prefix.length + 1))
    .sort();
}

describe('storage.reconcile against MinIO: what it reports', () => {
  it('reports a lost-response orphan, a missing object, a size and a sha256 mismatch and an unknown local file, and changes nothing', async () => {
    await library(4);
    await orphanedUpload('lib/lost.png');
    await plain.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: backendKey('lib/1.png') }));
    await plain.send(new PutObjectCommand({ Bucket: bucket.name, Key: backendKey('lib/2.png'), Body: 'replaced' }));
    const head = await plain.send(new HeadObjectCommand({ Bucket: bucket.name, Key: backendKey('lib/3.png') }));
    await plain.send(
      new CopyObjectCommand({
        Bucket: bucket.name,
        Key: backendKey('lib/3.png'),
        CopySource: `${bucket.name}/${backendKey('lib/3.png')}`,
        MetadataDirective: 'REPLACE',
        ContentType: head.ContentType,
        Metadata: { ...head.Metadata, sha256: 'f'.repeat(64) },
      }),
    );
    await ws.addResult('unrecorded/new.png', 70);
    const before = { stats: await storage.stats(), bucket: await bucket.view(`${prefix}/`) };

    const report = await storage.reconcile({ target: 'minio' });

    expect(report).toMatchObject({
      state: 'done',
      target: 'minio.1',
      listed: { objects: 4 },
      recorded: { files: 4, bytes: 3000 + 3001 + 3002 + 3003 },
      orphans: { count: 1, bytes: 2500, sample: [{ key: 'lib/lost.png', size: 2500 }] },
      missing: { count: 1, bytes: 3001, sample: [{ key: 'lib/1.png', state: 'offloaded' }] },
      mismatched: { count: 2, byReason: { size: 1, sha256: 1, content: 0 } },
      unknownLocalFiles: { count: 1, sample: [{ key: 'unrecorded/new.png' }] },
      unchecked: { count: 0 },
    });
    expect(report.mismatched.sample).toEqual([
      expect.objectContaining({ key: 'lib/2.png', reason: 'size', expected: '3002', actual: '8' }),
      expect.objectContaining({ key: 'lib/3.png', reason: 'sha256', actual: 'f'.repeat(64) }),
    ]);
    expect(await storage.stats()).toEqual(before.stats);
    expect(await bucket.view(`${prefix}/`)).toEqual(before.bucket);
  });

  it('finds bytes flipped behind its back (size and metadata kept) only in deep mode', async () => {
    await library(3);
    const key = backendKey('lib/1.png');
    const head = await plain.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }));
    const bytes = await streamToBuffer(
      (await plain.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }))).Body as NodeJS.ReadableStream,
    );
    bytes[1234] = (bytes[1234] as number) ^ 0xff;
    await plain.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: key,
        Body: bytes,
        ContentType: head.ContentType,
        Metadata: head.Metadata,
      }),
    );

    expect((await storage.reconcile({ target: 'minio' })).mismatched.count).toBe(0);
    const deep = await storage.reconcile({ target: 'minio', deep: true });
    expect(deep.mismatched).toMatchObject({
      count: 1,
      byReason: { content: 1 },
      sample: [{ key: 'lib/1.png', reason: 'content', expected: head.Metadata?.sha256 }],
    });
    expect(deep.mismatched.sample[0]?.actual).not.toBe(head.Metadata?.sha256);
  });
});

describe('storage.reconcile against MinIO: fix mode', () => {
  it("deletes orphans once they are older than the grace period (MinIO's lastModified) and aborts old open uploads", async () => {
    const graceMs = 4000;
    await library(2);
    await orphanedUpload('lib/lost.png');
    await openUpload('lib/old-upload.bin');
    const young = await storage.reconcile({ target: 'minio', fix: true, graceMs });
    expect(young.fixes).toMatchObject({ orphansDeleted: 0, orphansKeptYoung: 1, uploadsAborted: 0 });
    expect(await objectExists('lib/lost.png')).toBe(true);

    await sleep(graceMs + 500);
    await plain.send(new PutObjectCommand({ Bucket: bucket.name, Key: backendKey('lib/young.bin'), Body: 'young' }));
    await openUpload('lib/young-upload.bin');
    const old = await storage.reconcile({ target: 'minio', fix: true, graceMs });
    expect(old.orphans.count).toBe(2);
    expect(old.fixes).toMatchObject({
      orphansDeleted: 1,
      orphansKeptYoung: 1,
      orphanDeletesFailed: 0,
      uploadsAborted: 1,
      uploadAbortsFailed: 0,
    });
    expect(await objectExists('lib/lost.png')).toBe(false);
    expect(await objectExists('lib/young.bin')).toBe(true);
    expect(await openUploads()).toEqual(['lib/young-upload.bin']);
    // Recorded objects are never orphans.
    expect((await bucket.view(`${prefix}/lib/`)).objects.map((object) => object.key).sort()).toEqual(
      ['lib/0.png', 'lib/1.png', 'lib/young.bin'].map(backendKey),
    );
  });

  it('keeps a lost-response upload while its intent awaits recovery, which then adopts it', async () => {
    await library(1);
    await offloadWithLostAnswers('lib/uncertain.png');
    await sleep(1500);
    const kept = await storage.reconcile({ target: 'minio', fix: true, graceMs: 1000 });
    expect(kept.orphans.sample.map((sample) => sample.key)).toEqual(['lib/uncertain.png']);
    expect(kept.fixes).toMatchObject({ orphansDeleted: 0, orphansKeptInFlight: 1 });
    expect(await objectExists('lib/uncertain.png')).toBe(true);

    expect(await storage.recover()).toMatchObject({ adopted: 1 });
    const after = await storage.reconcile({ target: 'minio', fix: true, graceMs: 1000 });
    expect(after).toMatchObject({ orphans: { count: 0 }, recorded: { files: 2 }, mismatched: { count: 0 } });
  });

  it('sends a missing result again from its local copy and marks one without any copy missing', async () => {
    const [kept, intact] = await library(2);
    const [lost] = await library(1, { from: 2, deleteLocal: true });
    for (const path of [kept, lost]) {
      await plain.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: backendKey(path as string) }));
    }
    const report = await storage.reconcile({ target: 'minio', fix: true });
    expect(report.fixes).toMatchObject({ requeued: 1, markedMissing: 1 });
    expect(await storage.catalog?.findByPath(lost as string)).toMatchObject({
      state: 'missing',
      lastError: { code: 'NOT_FOUND' },
    });

    storage.startWorker({ pollIntervalMs: 100, sweepIntervalMs: false, reconcileJobs: false });
    await eventually(
      async () => (await storage.catalog?.findByPath(kept as string))?.state === 'offloaded',
      20_000,
      'the re-queued result is sent again',
    );
    await storage.stopWorker();
    expect(await storage.catalog?.findByPath(intact as string)).toMatchObject({ state: 'offloaded' });
    const stored = (await bucket.view(backendKey(kept as string))).objects[0];
    expect(stored?.sha256).toBe(await fileSha256(`${ws.resultsRoot}/${kept}`));
  });

  it('refuses to fix a target its settings no longer reach, and never deletes what Stowage did not write', async () => {
    await library(2);
    await orphanedUpload('lib/lost.png');
    await openUpload('lib/open.bin');
    await sleep(1200);
    const before = { stats: await storage.stats(), bucket: await bucket.view(`${prefix}/`) };

    await saveMinio({ secretAccessKey: 'not-the-secret-at-all' });
    await expect(storage.reconcile({ target: 'minio', fix: true, graceMs: 1000 })).rejects.toMatchObject({
      code: ErrorCode.InvalidCredentials,
      message: expect.stringMatching(
        /^reconcile fix refused: the settings no longer reach target "minio.1": listing it failed .*; nothing was deleted or changed$/,
      ),
    });

    // Another bucket, with someone else's old object in it: a new target; what Stowage did not write is never deleted.
    await plain.send(new PutObjectCommand({ Bucket: otherBucket.name, Key: `${prefix}/theirs.bin`, Body: 'theirs' }));
    await sleep(1200);
    await saveMinio({ bucket: otherBucket.name });
    const other = await storage.reconcile({ target: 'minio', fix: true, graceMs: 1000 });
    expect(other).toMatchObject({
      target: 'minio.2',
      orphans: { count: 1 },
      fixes: { orphansDeleted: 0, orphansKeptForeign: 1 },
    });
    const theirs = await plain.send(new HeadObjectCommand({ Bucket: otherBucket.name, Key: `${prefix}/theirs.bin` }));
    expect(theirs.ContentLength).toBe(6);

    await saveMinio();
    expect(await storage.stats()).toEqual(before.stats);
    expect(await bucket.view(`${prefix}/`)).toEqual(before.bucket);
    expect(await openUploads()).toEqual(['lib/open.bin']);
  });
});

describe('storage.sweep and the worker sweep', () => {
  it('aborts open uploads older than olderThanMs in one target or in every target', async () => {
    await openUpload('a/old.bin');
    await sleep(1200);
    await openUpload('a/new.bin');
    expect(await storage.sweep({ target: 'minio', olderThanMs: 1000 })).toEqual({
      targets: [{ target: 'minio.1', aborted: 1, failed: 0 }],
      aborted: 1,
      failed: 0,
    });
    expect(await openUploads()).toEqual(['a/new.bin']);
    // Every target: local disk keeps no incomplete uploads, so only MinIO is swept.
    expect(await storage.sweep({ olderThanMs: 0 })).toMatchObject({ targets: [{ target: 'minio.1', aborted: 1 }] });
    expect(await openUploads()).toEqual([]);
  });

  it('is run by the worker when it starts and on its interval, unless turned off', async () => {
    await openUpload('w/left.bin');
    storage.startWorker({ sweepIntervalMs: false, sweepOlderThanMs: 0, pollIntervalMs: 100 });
    await sleep(1500);
    await storage.stopWorker();
    expect(await openUploads()).toEqual(['w/left.bin']);

    storage.startWorker({ sweepIntervalMs: 60_000, sweepOlderThanMs: 0, pollIntervalMs: 100 });
    await eventually(async () => (await openUploads()).length === 0, 15_000, 'the worker swept the open upload');
    await storage.stopWorker();
    expect(() => storage.startWorker({ sweepIntervalMs: 5 })).toThrow(
      /sweepIntervalMs: must be a number of milliseconds, at least 1000/,
    );
  });
});
