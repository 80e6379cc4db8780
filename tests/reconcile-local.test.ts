/**
 * Reconcile against real local roots (the results disk, and another local
 * root registered as the provider "archive"): what it reports, what fix mode
 * repairs and what it never touches, the results disk as the target, bad
 * requests refused before anything is touched, and reconcile as a catalog job
 * that one server runs at a time, that a worker picks up when queued, and
 * that another server takes over once its owner's lease has passed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTEMPT_METADATA_KEY,
  type Catalog,
  type CatalogJob,
  ErrorCode,
  openSqliteCatalog,
  type ReconcileProgress,
  type ReconcileReport,
  type Storage,
} from '../packages/storage-core/src/index.js';
import { createWorkspace, eventually, fileSha256, localDefinition, type Workspace } from './support/fixture.js';

const HOUR = 3_600_000;

/** Sets a file's modification time (what the local driver lists as lastModified) `ms` into the past. */
async function age(path: string, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(path, then, then);
}

describe('storage.reconcile against a local root', () => {
  let ws: Workspace;
  let storage: Storage;
  let archiveRoot: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  /** Offloads `count` results to "archive" (local copies kept unless asked) and returns their paths. */
  async function library(count: number, options: { deleteLocal?: boolean; from?: number } = {}): Promise<string[]> {
    await storage.registry.setDefault('archive');
    const paths: string[] = [];
    for (let i = options.from ?? 0; i < (options.from ?? 0) + count; i++) {
      const path = `lib/${i}.png`;
      await ws.addResult(path, 1000 + i);
      await ws.addResult(`lib/${i}-t.webp`, 100 + i);
      const outcome = await storage.offload(
        { path, variants: { t: `lib/${i}-t.webp` } },
        { deleteLocal: options.deleteLocal ?? false },
      );
      expect(outcome.status).toBe('offloaded');
      paths.push(path);
    }
    await storage.registry.setDefault('local');
    return paths;
  }

  /** An object as an offload whose record never landed leaves it: written by Stowage, with its attempt id. */
  async function leftByStowage(key: string, body: string): Promise<void> {
    const driver = storage.registry.targets.driver(storage.registry.targets.current('archive'));
    await driver.write(key, body, { metadata: { [ATTEMPT_METADATA_KEY]: randomUUID() } });
  }

  it('reports orphans, missing and mismatched objects and unknown local files, and changes nothing', async () => {
    await library(5);
    await writeFile(join(archiveRoot, 'lib/stray.bin'), randomBytes(300));
    await rm(join(archiveRoot, 'lib/1.png'));
    await writeFile(join(archiveRoot, 'lib/2-t.webp'), randomBytes(7));
    await ws.addResult('unrecorded/new.png', 50);
    const before = await storage.stats();
    const progress: ReconcileProgress[] = [];
    storage.events.on('reconcile:progress', (event) => progress.push(event));

    const report = await storage.reconcile({ target: 'archive' });

    expect(report).toMatchObject({
      state: 'done',
      target: 'archive.1',
      backend: 'archive',
      fix: false,
      fixes: undefined,
      listed: { objects: 10 },
      recorded: { files: 10 },
      orphans: { count: 1, bytes: 300, sample: [{ key: 'lib/stray.bin', size: 300 }] },
      missing: { count: 1, bytes: 1001, sample: [{ key: 'lib/1.png', path: 'lib/1.png', state: 'offloaded' }] },
      mismatched: {
        count: 1,
        byReason: { size: 1, sha256: 0, content: 0 },
        sample: [{ key: 'lib/2-t.webp', reason: 'size', expected: '102', actual: '7' }],
      },
      // The local copies of the offloaded results are known to their records: only the new file is unknown.
      unknownLocalFiles: { count: 1, sample: [{ key: 'unrecorded/new.png', size: 50 }] },
      unchecked: { count: 0 },
    });
    expect(progress.at(-1)).toMatchObject({ jobId: report.jobId, phase: 'done', orphans: 1, missing: 1 });
    expect(await storage.stats()).toEqual(before);
    expect(await fileSha256(join(archiveRoot, 'lib/stray.bin'))).toBeDefined();
    expect(await storage.catalog?.getJob(report.jobId)).toMatchObject({
      kind: 'reconcile',
      state: 'done',
      params: { target: 'archive.1', fix: false },
      progress: { report: { orphans: { count: 1 }, missing: { count: 1 } } },
    });
  });

  it('with fix: deletes orphans older than the grace period, keeps younger ones, and never a local file', async () => {
    await library(2);
    for (const name of ['old-1.bin', 'old-2.bin', 'young.bin']) await leftByStowage(name, name);
    await age(join(archiveRoot, 'old-1.bin'), 2 * HOUR);
    await age(join(archiveRoot, 'old-2.bin'), 2 * HOUR);
    await ws.addResult('unrecorded/new.png', 50);
    await age(join(ws.resultsRoot, 'unrecorded/new.png'), 2 * HOUR);

    const report = await storage.reconcile({ target: 'archive', fix: true, graceMs: HOUR });

    expect(report.orphans.count).toBe(3);
    expect(report.fixes).toMatchObject({ orphansDeleted: 2, orphansKeptYoung: 1, orphansKeptInFlight: 0 });
    expect(await fileSha256(join(archiveRoot, 'old-1.bin'))).toBeUndefined();
    expect(await fileSha256(join(archiveRoot, 'old-2.bin'))).toBeUndefined();
    expect(await fileSha256(join(archiveRoot, 'young.bin'))).toBeDefined();
    expect(report.unknownLocalFiles.count).toBe(1);
    expect(await fileSha256(join(ws.resultsRoot, 'unrecorded/new.png'))).toBeDefined();
    // The recorded objects are all still there.
    expect((await storage.reconcile({ target: 'archive' })).orphans.count).toBe(1);
  });

  it('keeps an orphan that an intent in flight names, and deletes it once no intent does', async () => {
    await library(1);
    await ws.addResult('busy.png', 40);
    const record = await storage.catalog?.insert({
      path: 'busy.png',
      state: 'pending',
      targetId: 'local',
      key: 'busy.png',
      location: 'local:busy.png',
      files: [{ name: '', path: 'busy.png', key: 'busy.png', size: 40, sha256: undefined, contentType: undefined }],
      localCopy: true,
      // Another server's offload of this result is writing "busy.png" to the archive right now.
      intent: {
        kind: 'offload',
        attemptId: 'attempt-1',
        owner: 'other-host/4242/x',
        startedAt: Date.now(),
        leaseUntil: Date.now() + HOUR,
        targetId: 'archive.1',
        key: 'busy.png',
        keys: ['busy.png'],
      },
    });
    await leftByStowage('busy.png', 'x'.repeat(40));
    await age(join(archiveRoot, 'busy.png'), 2 * HOUR);

    const kept = await storage.reconcile({ target: 'archive', fix: true, graceMs: HOUR });
    expect(kept.fixes).toMatchObject({ orphansDeleted: 0, orphansKeptInFlight: 1 });
    expect(await fileSha256(join(archiveRoot, 'busy.png'))).toBeDefined();

    // The attempt gave up and cleared its intent without recording the object: now it is an orphan like any other.
    const current = await storage.catalog?.get(record?.id as string);
    await storage.catalog?.update(current?.id as string, current?.version as number, { intent: null });
    const deleted = await storage.reconcile({ target: 'archive', fix: true, graceMs: HOUR });
    expect(deleted.fixes).toMatchObject({ orphansDeleted: 1, orphansKeptInFlight: 0 });
    expect(await fileSha256(join(archiveRoot, 'busy.png'))).toBeUndefined();
  });

  it('with fix: sends a missing result again from its local copy, and marks one without a copy missing', async () => {
    const [withCopy] = await library(1);
    const [withoutCopy] = await library(1, { from: 1, deleteLocal: true });
    await rm(join(archiveRoot, withCopy as string));
    await rm(join(archiveRoot, withoutCopy as string));
    await rm(join(archiveRoot, 'lib/1-t.webp'));

    const report = await storage.reconcile({ target: 'archive', fix: true });

    expect(report.missing.count).toBe(3);
    expect(report.fixes).toMatchObject({ requeued: 1, markedMissing: 1 });
    expect(await storage.catalog?.findByPath(withCopy as string)).toMatchObject({
      state: 'pending',
      targetId: 'local',
      localCopy: true,
      intent: undefined,
      files: [{ key: 'lib/0.png' }, { key: 'lib/0-t.webp' }],
      lastError: { code: 'NOT_FOUND', message: expect.stringContaining('sent again from the local copy') },
    });
    expect(await storage.catalog?.findByPath(withoutCopy as string)).toMatchObject({
      state: 'missing',
      targetId: 'archive.1',
      lastError: { code: 'NOT_FOUND', message: expect.stringContaining('the results disk holds no copy') },
    });

    // The worker sends the re-queued result again, to the provider new results go to now.
    await storage.registry.setDefault('archive');
    storage.startWorker({ pollIntervalMs: 100, sweepIntervalMs: false, reconcileJobs: false });
    await eventually(
      async () => (await storage.catalog?.findByPath(withCopy as string))?.state === 'offloaded',
      15_000,
      'the re-queued result is offloaded again',
    );
    expect(await fileSha256(join(archiveRoot, withCopy as string))).toBe(
      await fileSha256(join(ws.resultsRoot, withCopy as string)),
    );
    await storage.stopWorker();
    const again = await storage.reconcile({ target: 'archive' });
    expect(again.missing.count).toBe(2);
    expect(again.missing.sample.map((sample) => sample.state)).toEqual(['missing', 'missing']);
  });

  it('compares the results disk with the records that serve from it when the target is "local"', async () => {
    for (const name of ['a', 'b', 'c']) {
      await ws.addResult(`disk/${name}.png`, 200);
      expect((await storage.offload({ path: `disk/${name}.png` })).status).toBe('local');
    }
    await library(1);
    await rm(join(ws.resultsRoot, 'disk/b.png'));
    await writeFile(join(ws.resultsRoot, 'disk/c.png'), 'shorter');
    await ws.addResult('disk/unknown.png', 10);
    await age(join(ws.resultsRoot, 'disk/unknown.png'), 2 * HOUR);

    const report = await storage.reconcile({ target: 'local', fix: true, graceMs: HOUR });

    expect(report).toMatchObject({
      target: 'local',
      // Every file on the results disk: a, c, the unknown one, and the archived result's local copies.
      listed: { objects: 5 },
      recorded: { files: 3 },
      missing: { count: 1, sample: [{ key: 'disk/b.png' }] },
      mismatched: { count: 1, sample: [{ key: 'disk/c.png', reason: 'size' }] },
      orphans: { count: 1, sample: [{ key: 'disk/unknown.png' }] },
      unknownLocalFiles: { count: 1, sample: [{ key: 'disk/unknown.png' }] },
      fixes: { markedMissing: 1, requeued: 0, orphansDeleted: 0 },
    });
    expect(await storage.catalog?.findByPath('disk/b.png')).toMatchObject({ state: 'missing' });
    // Files on the results disk belong to the app: fix mode never deletes one.
    expect(await fileSha256(join(ws.resultsRoot, 'disk/unknown.png'))).toBeDefined();
  });

  it('refuses bad requests with a clear error before anything is touched', async () => {
    await library(1);
    await writeFile(join(archiveRoot, 'stray.bin'), 'stray');
    await age(join(archiveRoot, 'stray.bin'), 2 * HOUR);
    await expect(storage.reconcile({ target: 'nowhere' })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'reconcile: "nowhere" is neither a provider nor a target',
    });
    await expect(
      storage.reconcile({ target: '', fix: 'yes', graceMs: -1, concurrency: 0, grace: 5 } as never),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message:
        'reconcile: unknown option "grace"; target: name a provider or a target; fix: must be true or false; graceMs: must be a non-negative number of milliseconds; concurrency: must be a whole number from 1 to 64',
    });
    await expect(storage.reconcile(undefined as never)).rejects.toThrow(/options must be an object/);
    await expect(storage.queueReconcile({ target: 'archive', deep: 1 } as never)).rejects.toThrow(
      /deep: must be true or false/,
    );
    await expect(storage.sweep({ olderThanMs: -5, target: 'nowhere' })).rejects.toThrow(
      /sweep: olderThanMs: must be a non-negative number/,
    );
    await expect(storage.sweep({ target: 'nowhere' })).rejects.toThrow(/"nowhere" is neither a provider nor a target/);
    expect(await storage.catalog?.listJobs()).toEqual([]);

    const without = await ws.open({ catalog: false });
    await expect(without.reconcile({ target: 'local' })).rejects.toMatchObject({ code: ErrorCode.Unsupported });
    expect(await fileSha256(join(archiveRoot, 'stray.bin'))).toBeDefined();
  });

  it('says a registered provider has no settings saved, not that it is neither a provider nor a target', async () => {
    await library(1);
    storage.registry.register(localDefinition, { name: 'vault' });
    const nothingThere =
      'provider "vault" has no settings saved, so no target holds anything of it; save its settings first';
    const refused = (message: string) => ({ code: ErrorCode.InvalidInput, message });
    await expect(storage.reconcile({ target: 'vault' })).rejects.toMatchObject(refused(`reconcile: ${nothingThere}`));
    await expect(storage.queueReconcile({ target: 'vault' })).rejects.toMatchObject(
      refused(`reconcile: ${nothingThere}`),
    );
    await expect(storage.sweep({ target: 'vault' })).rejects.toMatchObject(refused(`sweep: ${nothingThere}`));
    await expect(storage.migrate({ from: 'vault', to: 'archive' })).rejects.toMatchObject(
      refused(`migrate: ${nothingThere}`),
    );
    await expect(storage.migrate({ from: 'archive', to: 'vault' })).rejects.toMatchObject(
      refused(
        'migrate: provider "vault" has no settings saved, so it has no target to move results to; save its settings first',
      ),
    );
    // A name that is neither keeps saying so, as destination too.
    await expect(storage.migrate({ from: 'archive', to: 'nowhere' })).rejects.toMatchObject(
      refused('migrate: "nowhere" is neither a provider nor a target'),
    );
    expect(await storage.catalog?.listJobs()).toEqual([]);
    expect((await storage.stats()).byTarget).toEqual([{ targetId: 'archive.1', results: 1, bytes: 1100 }]);
  });

  it('keeps what Stowage did not write, and refuses to fix a target its settings no longer reach', async () => {
    await library(2);
    await writeFile(join(archiveRoot, 'stray.bin'), 'stray');
    await age(join(archiveRoot, 'stray.bin'), 2 * HOUR);
    const before = await storage.stats();

    // The settings now point to another root: a new target, holding someone else's file and no result.
    const elsewhere = await ws.folder('elsewhere');
    await writeFile(join(elsewhere, 'someone-elses.bin'), 'not ours');
    await age(join(elsewhere, 'someone-elses.bin'), 2 * HOUR);
    await storage.registry.saveSettings('archive', { root: elsewhere });
    const there = await storage.reconcile({ target: 'archive', fix: true, graceMs: HOUR });
    expect(there).toMatchObject({
      target: 'archive.2',
      orphans: { count: 1 },
      fixes: { orphansDeleted: 0, orphansKeptForeign: 1 },
    });
    expect(await fileSha256(join(elsewhere, 'someone-elses.bin'))).toBeDefined();
    // The old place is still a target of its own: reconciled by its id, its stray file (not Stowage's) kept too.
    const old = await storage.reconcile({ target: 'archive.1', fix: true, graceMs: HOUR });
    expect(old).toMatchObject({ target: 'archive.1', missing: { count: 0 }, fixes: { orphansKeptForeign: 1 } });
    expect(await fileSha256(join(archiveRoot, 'stray.bin'))).toBeDefined();

    // The settings are gone: the target cannot even be opened.
    await storage.registry.remove('archive', { forgetStoredObjects: true });
    await expect(storage.reconcile({ target: 'archive.1', fix: true, graceMs: HOUR })).rejects.toMatchObject({
      code: ErrorCode.Misconfigured,
      message: expect.stringMatching(/settings no longer reach target "archive.1": it cannot be opened/),
    });
    expect(await fileSha256(join(archiveRoot, 'stray.bin'))).toBeDefined();
    expect(await storage.stats()).toEqual(before);
    const jobs = (await storage.catalog?.listJobs({ kind: 'reconcile' })) ?? [];
    // Refused before its job was even made: the two earlier reconciles are all there is.
    expect(jobs.map((job) => [job.state, job.lastError?.code])).toEqual([
      ['done', undefined],
      ['done', undefined],
    ]);
  });
});

describe('reconcile as a catalog job shared by servers', () => {
  let ws: Workspace;
  let catalogFile: string;
  const catalogs: Catalog[] = [];

  beforeEach(async () => {
    ws = await createWorkspace();
    catalogFile = join(ws.dir, 'shared-catalog.sqlite');
  });
  afterEach(async () => {
    await ws.remove();
    await Promise.all(catalogs.splice(0).map((catalog) => catalog.close()));
  });

  /** A server of the platform: its own Storage with its own connection to the shared catalog file. */
  async function server(): Promise<Storage> {
    const catalog = await openSqliteCatalog({ file: catalogFile });
    catalogs.push(catalog);
    return ws.open({ catalog, leaseMs: 1000 });
  }

  /** A reconcile of "local" that `owner` holds until `leaseUntil`, as a server running it leaves it in the catalog. */
  async function heldReconcile(storage: Storage, owner: string, leaseUntil: number): Promise<CatalogJob> {
    const catalog = storage.catalog as Catalog;
    const job = await catalog.createJob({ kind: 'reconcile', params: { target: 'local', requested: 'local' } });
    return (await catalog.updateJob(job.id, job.version, { state: 'running', owner, leaseUntil })) as CatalogJob;
  }

  async function reportOf(storage: Storage, id: string): Promise<ReconcileReport | undefined> {
    const job = await storage.catalog?.getJob(id);
    return job?.state === 'done' ? (job.progress.report as ReconcileReport) : undefined;
  }

  it("runs a queued reconcile on another server's worker, and keeps the report in the job", async () => {
    const first = await server();
    const second = await server();
    await ws.addResult('a.png', 30);
    await first.offload({ path: 'a.png' });
    await ws.addResult('stray.png', 20);
    const id = await first.queueReconcile({ target: 'local' });
    expect(await first.catalog?.getJob(id)).toMatchObject({ state: 'queued', params: { target: 'local' } });

    second.startWorker({ pollIntervalMs: 100, jobPollIntervalMs: 100, sweepIntervalMs: false });
    await eventually(async () => (await reportOf(first, id)) !== undefined, 15_000, 'the job is done');
    expect(await reportOf(first, id)).toMatchObject({ jobId: id, orphans: { count: 1 }, recorded: { files: 1 } });
    expect((await first.catalog?.getJob(id))?.owner).toBe(second.owner);
  });

  it('takes over a reconcile whose server died, once its lease has passed', async () => {
    const survivor = await server();
    // The server that held it stopped renewing its lease a while ago.
    const job = await heldReconcile(survivor, 'dead-host/1/x', Date.now() - 1);
    expect(job.state).toBe('running');
    survivor.startWorker({ pollIntervalMs: 100, jobPollIntervalMs: 100, sweepIntervalMs: false });
    await eventually(async () => (await reportOf(survivor, job.id)) !== undefined, 15_000, 'taken over');
    expect((await survivor.catalog?.getJob(job.id))?.owner).toBe(survivor.owner);
  });

  it('refuses to start a second reconcile of a target that another server is reconciling now', async () => {
    const first = await server();
    const second = await server();
    const job = await heldReconcile(first, first.owner, Date.now() + 60_000);
    await expect(second.reconcile({ target: 'local' })).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
      message: expect.stringContaining(`is being reconciled already (job ${job.id}, by ${first.owner})`),
    });
  });

  it('leaves a queued reconcile of a target in the queue while another server reconciles that target', async () => {
    const first = await server();
    const second = await server();
    const held = await heldReconcile(first, first.owner, Date.now() + 60_000);
    const queued = await first.queueReconcile({ target: 'local' });
    second.startWorker({ pollIntervalMs: 100, jobPollIntervalMs: 100, sweepIntervalMs: false });
    await sleep(1000);
    expect(await second.catalog?.getJob(queued)).toMatchObject({ state: 'queued', owner: undefined });

    await first.catalog?.updateJob(held.id, held.version, { state: 'done', leaseUntil: null });
    await eventually(async () => (await reportOf(second, queued)) !== undefined, 15_000, 'the queued job ran');
  });

  it('fails, keeping no report, when another server took its job over while it ran', async () => {
    const storage = await server();
    for (let i = 0; i < 300; i++) await ws.addResult(`many/${i}.png`, 10);
    let takeover: Promise<void> | undefined;
    // A stalled server: its job is taken over (here, as soon as it runs) while it works.
    storage.events.once('reconcile:progress', ({ jobId }) => {
      takeover = (async () => {
        for (;;) {
          const job = await storage.catalog?.getJob(jobId);
          const changes = { owner: 'other-host/9/x', leaseUntil: Date.now() + 60_000 };
          if (await storage.catalog?.updateJob(jobId, job?.version as number, changes)) return;
        }
      })();
    });
    const running = storage.reconcile({ target: 'local', concurrency: 1 });
    await expect(running).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
      message: expect.stringContaining('changed by someone else'),
    });
    await takeover;
    const [job] = (await storage.catalog?.listJobs({ kind: 'reconcile' })) ?? [];
    expect(job).toMatchObject({ state: 'running', owner: 'other-host/9/x', progress: {} });
  });
});
