/**
 * The re-offload worker: results that stayed local for a transient reason are
 * sent later without the app doing anything, on a schedule the catalog keeps
 * across restarts; results an admin must fix wait; results are given up with
 * their reason; a worker and a manual offload never both send one result.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, openSqliteCatalog, type Storage, StorageError } from '../packages/storage-core/src/index.js';
import { createS3Proxy, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { faultyCatalog } from './support/faulty-catalog.js';
import { controlledDefinition, createWorkspace, eventually, fileSha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();

const FAST_RETRY = { firstDelayMs: 150, maxDelayMs: 600, jitter: 0.2 };

describe('the worker after an outage (toxiproxy between the S3 driver and MinIO)', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'worker-outage');
  let proxy: ToxiproxyProxy;
  let ws: Workspace;

  afterEach(async () => {
    await ws.remove();
    await proxy.delete();
  });

  it('sends all 100 results that fell back during the outage, by itself, once the backend is back', async () => {
    const proxied = await createS3Proxy(toxiproxy, s3);
    proxy = proxied.proxy;
    ws = await createWorkspace();
    const storage = await ws.open({ retry: FAST_RETRY });
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', {
      endpoint: proxied.info.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      retries: 0,
      connectionTimeoutMs: 500,
      deleteLocal: true,
    });
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
    const expected = new Map<string, string>();
    for (let i = 0; i < 100; i++) expected.set(`outage/${i}.png`, await ws.addResult(`outage/${i}.png`, 2000 + i));

    await proxy.disable();
    const outcomes = await storage.offloadMany([...expected.keys()].map((path) => ({ path })));
    expect(
      outcomes.every((outcome) => outcome.status === 'local' && outcome.error?.code === ErrorCode.Unavailable),
    ).toBe(true);
    expect((await storage.stats()).byState.pending).toBe(100);

    await proxy.enable();
    storage.startWorker({ concurrency: 4, pollIntervalMs: 100 });
    await eventually(async () => (await storage.stats()).byState.offloaded === 100, 60_000, 'all 100 are offloaded');
    await storage.stopWorker();

    const stored = await bucket.view('outage/');
    expect(stored.openUploads).toEqual([]);
    expect(new Map(stored.objects.map((object) => [object.key, object.sha256]))).toEqual(expected);
    for (const path of expected.keys()) expect(await fileSha256(join(ws.resultsRoot, path))).toBeUndefined();
    const stats = await storage.stats();
    expect(stats.inFlight).toBe(0);
    for await (const record of storage.catalog?.list({ pathPrefix: 'outage/' }) ?? []) {
      expect(record).toMatchObject({ state: 'offloaded', intent: undefined, localCopy: false, attempts: 0 });
      // Each location handed out during the outage now serves from the bucket.
      expect(await fileSha256(join(ws.resultsRoot, record.path))).toBeUndefined();
      const url = await storage.url(`local:${record.path}`);
      expect(url.kind).toBe('signed');
    }
  });
});

describe('the worker and the retry schedule', () => {
  let ws: Workspace;
  let storage: Storage;
  let control: { writes: string[]; failure?: ErrorCode; delayMs?: number };

  async function open(retry: Record<string, number> = FAST_RETRY): Promise<Storage> {
    const opened = await ws.open({ retry });
    opened.registry.register(controlledDefinition(control));
    return opened;
  }

  beforeEach(async () => {
    ws = await createWorkspace();
    control = { writes: [] };
    storage = await open();
    await storage.registry.saveSettings('archive', { root: await ws.folder('archive') });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('refuses options it cannot run with, naming each, before it starts', async () => {
    await ws.addResult('o.png');
    control.failure = ErrorCode.Unavailable;
    await storage.offload({ path: 'o.png' });
    control.failure = undefined;
    expect(() =>
      storage.startWorker({
        concurrency: 0,
        pollIntervalMs: -5,
        recoveryIntervalMs: Number.NaN,
        leaseMs: 0,
        pollIntervalMS: 100,
      } as never),
    ).toThrow(
      new StorageError(
        ErrorCode.InvalidInput,
        'worker options: unknown option "pollIntervalMS"; pollIntervalMs: must be a number of milliseconds, at least 10; ' +
          'recoveryIntervalMs: must be a number of milliseconds, at least 100; ' +
          'leaseMs: must be a whole number of milliseconds, at least 1000; concurrency: must be a whole number, at least 1',
      ),
    );
    expect(() => storage.startWorker({ concurrency: 1.5 })).toThrow(/concurrency: must be a whole number, at least 1/);
    // Nothing started: no worker to stop, and the result was not sent.
    await storage.stopWorker();
    await sleep(200);
    expect(control.writes).toEqual(['o.png']);
  });

  it('continues the schedule after a restart instead of starting over', async () => {
    control.failure = ErrorCode.Unavailable;
    await ws.addResult('s.png');
    await storage.offload({ path: 's.png' });
    storage.startWorker({ pollIntervalMs: 50 });
    await eventually(async () => (await storage.catalog?.findByPath('s.png'))?.attempts === 2, 10_000, 'two attempts');
    await storage.close();

    const restarted = await open();
    const before = await restarted.catalog?.findByPath('s.png');
    expect(before).toMatchObject({ state: 'pending', attempts: 2 });
    control.failure = undefined;
    restarted.startWorker({ pollIntervalMs: 50 });
    await eventually(
      async () => (await restarted.catalog?.findByPath('s.png'))?.state === 'offloaded',
      10_000,
      'offloaded',
    );
    expect(control.writes).toEqual(['s.png', 's.png', 's.png']);
  });

  it('does not retry a result an admin must fix until the settings change, then sends it', async () => {
    control.failure = ErrorCode.AccessDenied;
    await ws.addResult('b.png');
    await storage.offload({ path: 'b.png' });
    storage.startWorker({ pollIntervalMs: 50 });
    await sleep(800);
    expect(await storage.catalog?.findByPath('b.png')).toMatchObject({ state: 'blocked', attempts: 1 });
    expect(control.writes).toEqual(['b.png']);

    control.failure = undefined;
    expect(await storage.retryBlocked()).toBe(1);
    await eventually(
      async () => (await storage.catalog?.findByPath('b.png'))?.state === 'offloaded',
      10_000,
      'offloaded',
    );
    expect(control.writes).toEqual(['b.png', 'b.png']);
  });

  it('gives a result up after its last attempt, with the reason visible', async () => {
    await storage.close();
    storage = await open({ ...FAST_RETRY, maxAttempts: 3 });
    control.failure = ErrorCode.Timeout;
    await ws.addResult('g.png');
    await storage.offload({ path: 'g.png' });
    storage.startWorker({ pollIntervalMs: 50 });
    await eventually(
      async () => (await storage.catalog?.findByPath('g.png'))?.state === 'given-up',
      10_000,
      'given up',
    );
    await sleep(400);
    expect(await storage.catalog?.findByPath('g.png')).toMatchObject({
      attempts: 3,
      dueAt: undefined,
      lastError: { code: 'TIMEOUT', message: 'injected TIMEOUT' },
    });
    expect(control.writes).toHaveLength(3);
    expect((await storage.stats()).byState['given-up']).toBe(1);
  });

  it('never sends a result twice when a manual offload meets the worker on it', async () => {
    control.failure = ErrorCode.Unavailable;
    await ws.addResult('m.png', 50_000);
    await storage.offload({ path: 'm.png' });
    control.failure = undefined;
    control.delayMs = 400;
    storage.startWorker({ pollIntervalMs: 20 });
    await eventually(async () => control.writes.length === 2, 5_000, 'the worker is sending it');
    const manual = await storage.offload({ path: 'm.png' });
    expect(manual.status).toBe('offloaded');
    await storage.stopWorker();
    expect(control.writes).toEqual(['m.png', 'm.png']);
  });

  it('marks a pending result whose file disappeared from the results disk as missing', async () => {
    control.failure = ErrorCode.Unavailable;
    await ws.addResult('gone.png');
    await storage.offload({ path: 'gone.png' });
    await rm(join(ws.resultsRoot, 'gone.png'));
    control.failure = undefined;
    storage.startWorker({ pollIntervalMs: 50 });
    await eventually(
      async () => (await storage.catalog?.findByPath('gone.png'))?.state === 'missing',
      10_000,
      'missing',
    );
    expect((await storage.catalog?.findByPath('gone.png'))?.lastError?.code).toBe(ErrorCode.NotFound);
  });

  it('does not give a result up for a catalog failure while sending it: the claim expires and it is tried again', async () => {
    await storage.close();
    // The real SQLite catalog, whose lookup of one path fails once when armed, as a catalog hiccup would.
    const catalog = await openSqliteCatalog({ file: join(ws.dir, 'flaky-catalog.sqlite') });
    let failLookup = false;
    const flaky = faultyCatalog(catalog, (method, [path]) => {
      if (!failLookup || method !== 'findByPath' || path !== 'flaky.png') return undefined;
      failLookup = false;
      return new StorageError(ErrorCode.Unavailable, 'injected: the catalog is unreachable');
    });
    storage = await ws.open({ retry: FAST_RETRY, catalog: flaky, leaseMs: 1000 });
    storage.registry.register(controlledDefinition(control));
    control.failure = ErrorCode.Unavailable;
    await ws.addResult('flaky.png');
    await storage.offload({ path: 'flaky.png' });
    await rm(join(ws.resultsRoot, 'flaky.png'));
    control.failure = undefined;
    failLookup = true;

    storage.startWorker({ pollIntervalMs: 50, recoveryIntervalMs: 200 });

    await eventually(async () => !failLookup, 5_000, 'the worker met the failing lookup');
    expect((await storage.catalog?.findByPath('flaky.png'))?.state).not.toBe('given-up');
    await eventually(
      async () => (await storage.catalog?.findByPath('flaky.png'))?.state === 'missing',
      10_000,
      'missing, once the catalog answers again',
    );
    expect((await storage.catalog?.findByPath('flaky.png'))?.lastError?.code).toBe(ErrorCode.NotFound);
    await storage.close();
    await catalog.close();
  });
});
