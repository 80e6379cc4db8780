/**
 * Queued migrations (`storage.queueMigration`) run by workers, their status as
 * another server reads it, a queued result that left its source before its
 * turn (skipped, never copied onto itself and deleted), a server that died
 * mid-move (its result taken over once the lease passed), and the `hostId` that
 * decides whose abandoned intents recovery may take over at once. Two
 * storages on one workspace stand for two servers sharing a catalog.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_METADATA_KEY,
  createStorage,
  ErrorCode,
  type Storage,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import {
  controlledDefinition,
  eventually,
  fileSha256,
  sha256,
  TEST_APP_KEY,
  type WriteControl,
  workspaceForEachTest,
} from './support/fixture.js';

const FAST_RETRY = { firstDelayMs: 100, maxDelayMs: 400, jitter: 0.2 };

describe('queued migrations', () => {
  const ws = workspaceForEachTest();

  async function server(control: WriteControl, options: { hostId?: string } = {}): Promise<Storage> {
    const storage = await ws.open({ retry: FAST_RETRY, ...options });
    storage.registry.register(controlledDefinition(control));
    return storage;
  }

  async function withArchive(control: WriteControl): Promise<{ storage: Storage; archiveRoot: string }> {
    const storage = await server(control);
    const archiveRoot = await ws.folder('archive');
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
    return { storage, archiveRoot };
  }

  it('queues a migration that the workers of two servers move, its status exact on either', async () => {
    const control: WriteControl = { writes: [] };
    const { storage: a, archiveRoot } = await withArchive(control);
    const b = await server(control);
    const expected = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const path = `lib/${i}.png`;
      expected.set(path, await ws.addResult(path, 500 + i));
      expect((await a.offload({ path })).status).toBe('local');
    }
    const jobId = await a.queueMigration({ from: 'local', to: 'archive', deleteSource: true });
    expect(await b.migrationStatus(jobId)).toMatchObject({
      state: 'running',
      from: ['local'],
      to: 'archive.1',
      deleteSource: true,
      results: { done: 0, failed: 0, skipped: 0, left: 30, total: 30 },
    });
    // The same request while it is unfinished joins the job.
    expect(await b.queueMigration({ from: 'local', to: 'archive', deleteSource: true })).toBe(jobId);

    a.startWorker({ migrationConcurrency: 2, pollIntervalMs: 100, sweepIntervalMs: false });
    b.startWorker({ migrationConcurrency: 2, pollIntervalMs: 100, sweepIntervalMs: false });
    await eventually(async () => (await b.migrationStatus(jobId)).state === 'done', 20_000, 'the job is done');
    await Promise.all([a.stopWorker(), b.stopWorker()]);

    const bytes = [...expected.keys()].reduce((sum, _path, i) => sum + 500 + i, 0);
    const status = await a.migrationStatus(jobId);
    expect(status).toMatchObject({
      results: { done: 30, failed: 0, skipped: 0, left: 0, total: 30 },
      bytes: { done: bytes, left: 0, total: bytes },
      failures: {},
      etaMs: undefined,
    });
    // Each result written once, by one of the two servers.
    expect([...control.writes].sort()).toEqual([...expected.keys()].sort());
    for (const [path, sha] of expected) {
      expect(await fileSha256(join(archiveRoot, path))).toBe(sha);
      expect(await fileSha256(join(ws.resultsRoot, path))).toBeUndefined();
      expect(sha256(await streamToBuffer(await b.read(`local:${path}`)))).toBe(sha);
    }
  });

  it('skips a queued result that was re-offloaded before its turn, instead of deleting the copy it serves from', async () => {
    const control: WriteControl = { writes: [] };
    const { storage, archiveRoot } = await withArchive(control);
    await storage.registry.setDefault('archive');
    const sha = await ws.addResult('lib/late.png', 2000);
    const moved = await ws.addResult('lib/plain.png', 1000);
    control.failure = ErrorCode.Unavailable;
    expect((await storage.offload({ path: 'lib/late.png' })).status).toBe('local');
    await storage.registry.setDefault('local');
    expect((await storage.offload({ path: 'lib/plain.png' })).status).toBe('local');
    control.failure = undefined;
    // Both are on local disk now, one pending: the migration queues both.
    const jobId = await storage.queueMigration({ from: 'local', to: 'archive', deleteSource: true });
    expect((await storage.migrationStatus(jobId)).results.total).toBe(2);

    // The pending one is offloaded to the very destination before the migration reaches it.
    await storage.registry.setDefault('archive');
    const outcome = await storage.offload({ path: 'lib/late.png' });
    expect(outcome).toMatchObject({ status: 'offloaded', target: 'archive.1' });

    // migrate() with the same request runs the queued job here.
    const report = await storage.migrate({ from: 'local', to: 'archive', deleteSource: true });
    expect(report.results).toEqual({ done: 1, failed: 0, total: 2 });
    expect(await storage.migrationStatus(jobId)).toMatchObject({
      state: 'done',
      results: { done: 1, failed: 0, skipped: 1, left: 0, total: 2 },
    });
    expect(await fileSha256(join(archiveRoot, 'lib/late.png'))).toBe(sha);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    expect(await storage.catalog?.findByPath('lib/late.png')).toMatchObject({
      state: 'offloaded',
      targetId: 'archive.1',
      migrationId: undefined,
      intent: undefined,
    });
    expect(await fileSha256(join(archiveRoot, 'lib/plain.png'))).toBe(moved);
    expect(control.writes.filter((key) => key === 'lib/late.png')).toHaveLength(2); // the failed try, the offload
  });

  it('takes over a result whose server died mid-move once its lease has passed, and moves it whole', async () => {
    const control: WriteControl = { writes: [] };
    const { storage, archiveRoot } = await withArchive(control);
    const sha = await ws.addResult('lib/a.png', 4000);
    await storage.offload({ path: 'lib/a.png' });
    const jobId = await storage.queueMigration({ from: 'local', to: 'archive', deleteSource: true });
    // A server on another host claims it, writes half a copy at the destination, and dies.
    const catalog = storage.catalog as NonNullable<Storage['catalog']>;
    const owner = 'box-9/4242/deadbeef';
    const [claimed] = await catalog.claim({
      select: { migrationId: jobId },
      kind: 'migrate',
      owner,
      leaseMs: 1500,
      limit: 1,
    });
    const intent = claimed?.intent as NonNullable<NonNullable<typeof claimed>['intent']>;
    await catalog.update(claimed?.id as string, claimed?.version as number, {
      intent: { ...intent, targetId: 'archive.1', key: 'lib/a.png', keys: ['lib/a.png'] },
    });
    const { driver } = storage.registry.targets.open('archive.1');
    await driver.write('lib/a.png', Buffer.alloc(1000, 7), { metadata: { [ATTEMPT_METADATA_KEY]: intent.attemptId } });

    // This host cannot tell whether box-9's process runs: nothing is taken while the lease runs.
    expect(await storage.recover()).toMatchObject({ requeued: 0 });
    expect((await catalog.findByPath('lib/a.png'))?.intent?.owner).toBe(owner);
    storage.startWorker({ pollIntervalMs: 100, recoveryIntervalMs: 200, sweepIntervalMs: false });
    await eventually(async () => (await storage.migrationStatus(jobId)).state === 'done', 20_000, 'the job is done');
    await storage.stopWorker();
    expect((await storage.migrationStatus(jobId)).results).toEqual({
      done: 1,
      failed: 0,
      skipped: 0,
      left: 0,
      total: 1,
    });
    expect(await fileSha256(join(archiveRoot, 'lib/a.png'))).toBe(sha);
    expect(await fileSha256(join(ws.resultsRoot, 'lib/a.png'))).toBeUndefined();
    expect(await catalog.findByPath('lib/a.png')).toMatchObject({
      state: 'offloaded',
      targetId: 'archive.1',
      intent: undefined,
    });
  });

  it('refuses what a queued migration cannot take, and unknown job ids, before touching anything', async () => {
    const control: WriteControl = { writes: [] };
    const { storage } = await withArchive(control);
    await ws.addResult('lib/a.png', 100);
    await storage.offload({ path: 'lib/a.png' });
    const signal = new AbortController().signal;
    await expect(
      storage.queueMigration({ from: 'local', to: 'archive', signal, dryRun: true } as never),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: expect.stringMatching(/^queueMigration: signal, dryRun: a queued migration runs on the workers/),
    });
    await expect(storage.queueMigration({ from: 'local', to: 'local' })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: expect.stringContaining('is also a source'),
    });
    await expect(storage.migrationStatus('no-such-job')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await storage.catalog?.listJobs()).toEqual([]);
    expect(control.writes).toEqual([]);
  });
});

describe('hostId: whose abandoned intents recovery takes over at once', () => {
  const ws = workspaceForEachTest();

  /** The pid of a process that has exited. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    return child.pid as number;
  }

  it('names the host in intent owners, and takes over a dead process’s intent at once only on the same host', async () => {
    await expect(createStorage({ appKey: TEST_APP_KEY, hostId: 'a/b', catalog: false } as never)).rejects.toMatchObject(
      {
        code: ErrorCode.InvalidInput,
        message: expect.stringContaining('hostId: must be 1 to 128 letters'),
      },
    );
    const control: WriteControl = { writes: [] };
    const first = await ws.open({ retry: FAST_RETRY, hostId: 'box-1' });
    first.registry.register(controlledDefinition(control));
    await first.registry.saveSettings('archive', { root: await ws.folder('archive') });
    await first.registry.enable('archive');
    await first.registry.setDefault('archive');
    expect(first.owner).toMatch(/^box-1\/\d+\/[0-9a-f]{8}$/);
    await ws.addResult('lib/a.png', 100);
    control.failure = ErrorCode.Unavailable;
    expect((await first.offload({ path: 'lib/a.png' })).status).toBe('local');
    control.failure = undefined;
    // A process of box-1 that died holding the result, with a long lease.
    const catalog = first.catalog as NonNullable<Storage['catalog']>;
    const owner = `box-1/${await deadPid()}/deadbeef`;
    await eventually(
      async () =>
        (await catalog.claim({ select: { due: true }, kind: 'offload', owner, leaseMs: 600_000, limit: 1 })).length ===
        1,
      5000,
      'the dead process holds the result',
    );

    // Another host cannot tell whether box-1's process runs: it waits for the lease.
    const elsewhere = await ws.open({ hostId: 'box-2' });
    expect(await elsewhere.recover()).toMatchObject({ requeued: 0 });
    expect((await catalog.findByPath('lib/a.png'))?.intent?.owner).toBe(owner);
    // On box-1 the pid is known to be gone: taken over now.
    expect(await first.recover()).toMatchObject({ requeued: 1 });
    expect(await catalog.findByPath('lib/a.png')).toMatchObject({ state: 'pending', intent: undefined });
  });
});
