/**
 * Offload keeps its record in the catalog (SQLite, the default beside the
 * settings file): the intent before the upload, one commit before onStored,
 * the schedule of results that stayed local, variants that travel with their
 * original, deletes that remove every copy, and stats.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AnyDriverDefinition,
  ErrorCode,
  openSqliteCatalog,
  type Storage,
  type StorageDriver,
  StorageError,
  type StorageEventMap,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { faultyCatalog } from './support/faulty-catalog.js';
import {
  createWorkspace,
  eventually,
  fileSha256,
  localDefinition,
  sha256,
  type Workspace,
  withOverrides,
} from './support/fixture.js';

/** A real local root whose writes are counted, and can be made to fail for chosen keys. */
function countingDefinition(
  name: string,
  seen: { writes: string[]; failFor: Map<string, ErrorCode>; during?: () => Promise<void> },
) {
  return {
    ...localDefinition,
    name,
    create(settings: { root: string }) {
      const driver = localDefinition.create(settings) as StorageDriver;
      const write: StorageDriver['write'] = async (key, body, options) => {
        seen.writes.push(key);
        await seen.during?.();
        const failure = seen.failFor.get(key);
        if (failure) throw new StorageError(failure, `injected ${failure}`, { key });
        return driver.write(key, body, options);
      };
      return withOverrides(driver, { write });
    },
  } satisfies AnyDriverDefinition;
}

describe('offload and the catalog', () => {
  let ws: Workspace;
  let storage: Storage;
  let archiveRoot: string;
  let seen: { writes: string[]; failFor: Map<string, ErrorCode>; during?: () => Promise<void> };

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    seen = { writes: [], failFor: new Map() };
    storage = await ws.open();
    storage.registry.register(countingDefinition('archive', seen));
    await storage.registry.saveSettings('archive', { root: archiveRoot, publicBaseUrl: 'https://cdn.example/m' });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('is on by default: a SQLite file beside the settings file', async () => {
    expect(storage.catalog?.kind).toBe('sqlite');
    expect(await readdir(ws.dir)).toContain('stowage-catalog.sqlite');
  });

  it('records the intent before the first byte is sent, and the outcome in one commit before onStored', async () => {
    const sha = await ws.addResult('images/a.png');
    const during: unknown[] = [];
    seen.during = async () => {
      const record = await storage.catalog?.findByPath('images/a.png');
      during.push({ state: record?.state, intent: record?.intent?.kind, target: record?.intent?.targetId });
    };
    let atOnStored: unknown;
    const outcome = await storage.offload(
      { path: 'images/a.png' },
      {
        async onStored(stored) {
          const record = await storage.catalog?.resolve(stored.location);
          atOnStored = { state: record?.state, intent: record?.intent, target: record?.targetId };
        },
      },
    );
    expect(during).toEqual([{ state: 'pending', intent: 'offload', target: outcome.target }]);
    expect(atOnStored).toEqual({ state: 'offloaded', intent: undefined, target: outcome.target });
    const record = await storage.catalog?.get(outcome.resultId as string);
    expect(record).toMatchObject({
      path: 'images/a.png',
      state: 'offloaded',
      targetId: outcome.target,
      key: 'images/a.png',
      localCopy: true,
      attempts: 0,
      files: [
        { name: '', path: 'images/a.png', key: 'images/a.png', size: 4096, sha256: sha, contentType: 'image/png' },
      ],
    });
    expect(await storage.catalog?.locationsOf(record?.id as string)).toEqual(['local:images/a.png', outcome.location]);
  });

  it('records a result that stays on local disk by choice as local', async () => {
    await storage.registry.setDefault('local');
    await ws.addResult('kept.png');
    const outcome = await storage.offload({ path: 'kept.png' });
    expect(outcome).toMatchObject({ status: 'local', target: 'local' });
    expect(await storage.catalog?.findByPath('kept.png')).toMatchObject({ state: 'local', intent: undefined });
  });

  it('schedules a result that failed for a transient reason, and blocks one an admin must fix', async () => {
    await ws.addResult('flaky.png');
    seen.failFor.set('flaky.png', ErrorCode.Unavailable);
    const before = Date.now();
    const flaky = await storage.offload({ path: 'flaky.png' });
    expect(flaky).toMatchObject({ status: 'local', failedStage: 'upload' });
    const pending = await storage.catalog?.findByPath('flaky.png');
    expect(pending).toMatchObject({
      state: 'pending',
      attempts: 1,
      intent: undefined,
      lastError: { code: 'UNAVAILABLE' },
    });
    // First retry 30 s later, give or take the 20% jitter.
    expect(pending?.dueAt).toBeGreaterThanOrEqual(before + 24_000);
    expect(pending?.dueAt).toBeLessThanOrEqual(Date.now() + 36_000);

    await ws.addResult('blocked.png');
    seen.failFor.set('blocked.png', ErrorCode.AccessDenied);
    const blocked = await storage.offload({ path: 'blocked.png' });
    expect(blocked.error?.code).toBe(ErrorCode.AccessDenied);
    expect(await storage.catalog?.findByPath('blocked.png')).toMatchObject({
      state: 'blocked',
      dueAt: undefined,
      lastError: { code: 'ACCESS_DENIED' },
    });
  });

  it('does not send the same unchanged file twice, but does send a new version', async () => {
    await ws.addResult('once.png');
    const first = await storage.offload({ path: 'once.png' });
    const again = await storage.offload({ path: 'once.png' });
    expect(again).toMatchObject({ status: 'offloaded', location: first.location, resultId: first.resultId });
    expect(seen.writes).toEqual(['once.png']);

    const sha = await ws.addResult('once.png', 5000);
    const replaced = await storage.offload({ path: 'once.png' });
    expect(replaced).toMatchObject({ status: 'offloaded', sha256: sha, resultId: first.resultId });
    expect(seen.writes).toEqual(['once.png', 'once.png']);
    expect(sha256(await streamToBuffer(await storage.read(first.location)))).toBe(sha);
  });

  it('lets two concurrent offloads of one result upload it once', async () => {
    await ws.addResult('twice.png', 100_000);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    seen.during = () => gate;
    const first = storage.offload({ path: 'twice.png' });
    const second = storage.offload({ path: 'twice.png' });
    setTimeout(release, 100);
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['offloaded', 'offloaded']);
    expect(seen.writes).toEqual(['twice.png']);
  });

  it('reports a result local when the catalog fails while it waits for another offload of it', async () => {
    await storage.close();
    const catalog = await openSqliteCatalog({ file: join(ws.dir, 'faulty-catalog.sqlite') });
    let failReads = false;
    const faulty = faultyCatalog(catalog, (method) =>
      failReads && method === 'get'
        ? new StorageError(ErrorCode.Unavailable, 'injected: the catalog is unreachable')
        : undefined,
    );
    storage = await ws.open({ catalog: faulty });
    storage.registry.register(countingDefinition('archive', seen));
    const sha = await ws.addResult('waited.png', 50_000);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    seen.during = () => gate;
    const first = storage.offload({ path: 'waited.png' });
    await eventually(async () => seen.writes.length === 1, 5_000, 'the first offload is sending');
    failReads = true;

    const second = await storage.offload({ path: 'waited.png' }).finally(() => {
      failReads = false;
      release();
    });

    expect(second).toMatchObject({ status: 'local', failedStage: 'record', localDeleted: false });
    expect(second.error?.code).toBe(ErrorCode.Unavailable);
    expect((await first).status).toBe('offloaded');
    expect(seen.writes).toEqual(['waited.png']);
    expect(sha256(await streamToBuffer(await storage.read(second.location)))).toBe(sha);
    await storage.close();
    await catalog.close();
  });

  it('carries variants with their original: all verified, one location serves each, one delete removes all', async () => {
    const original = await ws.addResult('images/x.png', 9000);
    const small = await ws.addResult('images/x-320.webp', 300);
    const large = await ws.addResult('images/x-1024.webp', 1024);
    const outcome = await storage.offload(
      { path: 'images/x.png', variants: { w320: 'images/x-320.webp', w1024: { path: 'images/x-1024.webp' } } },
      { deleteLocal: true },
    );
    expect(outcome).toMatchObject({ status: 'offloaded', localDeleted: true, sha256: original });
    expect(outcome.variants).toEqual([
      {
        name: 'w320',
        path: 'images/x-320.webp',
        key: 'images/x-320.webp',
        size: 300,
        sha256: small,
        url: 'https://cdn.example/m/images/x-320.webp',
      },
      {
        name: 'w1024',
        path: 'images/x-1024.webp',
        key: 'images/x-1024.webp',
        size: 1024,
        sha256: large,
        url: 'https://cdn.example/m/images/x-1024.webp',
      },
    ]);
    expect(await readdir(join(ws.resultsRoot, 'images'))).toEqual([]);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location, { variant: 'w320' })))).toBe(small);
    expect((await storage.url(outcome.location, { variant: 'w1024' })).url).toBe(
      'https://cdn.example/m/images/x-1024.webp',
    );
    await expect(storage.read(outcome.location, { variant: 'w99' })).rejects.toThrow(
      /has no variant "w99" \(it has: w320, w1024\)/,
    );

    await storage.delete(outcome.location);
    expect(await fileSha256(join(archiveRoot, 'images/x.png'))).toBeUndefined();
    expect(await fileSha256(join(archiveRoot, 'images/x-320.webp'))).toBeUndefined();
    expect(await fileSha256(join(archiveRoot, 'images/x-1024.webp'))).toBeUndefined();
    await expect(storage.read(outcome.location)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(storage.read('local:images/x.png')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await storage.exists(outcome.location)).toBe(false);
    expect(await storage.catalog?.get(outcome.resultId as string)).toMatchObject({ state: 'deleted' });
  });

  it('refuses a location that is not one before asking the catalog, on every location-based call', async () => {
    const sha = await ws.addResult('bad/a.png');
    const outcome = await storage.offload({ path: 'bad/a.png' });
    for (const call of ['delete', 'exists', 'read', 'stat', 'url', 'publicUrl', 'signedUrl'] as const) {
      const run = storage[call].bind(storage) as (location: unknown) => Promise<unknown>;
      for (const bad of [undefined, ['archive:bad/a.png'], { location: outcome.location }]) {
        await expect(run(bad), `${call}(${JSON.stringify(bad)})`).rejects.toMatchObject({
          name: 'StorageError',
          code: ErrorCode.InvalidInput,
          message: expect.stringMatching(/^location must be a string like "r2:images\/a.png", got (undefined|object)$/),
        });
      }
      await expect(run('archive:../a.png')).rejects.toMatchObject({ code: ErrorCode.InvalidKey });
    }
    expect(await fileSha256(join(archiveRoot, 'bad/a.png'))).toBe(sha);
    expect(await storage.catalog?.findByPath('bad/a.png')).toMatchObject({ state: 'offloaded' });
  });

  it('refuses bad arguments to stats, migrationStatus and removeTarget with INVALID_INPUT naming them', async () => {
    await ws.addResult('st/a.png');
    seen.failFor.set('st/a.png', ErrorCode.Unavailable);
    await storage.offload({ path: 'st/a.png' });
    expect((await storage.stats({ since: 0 })).recentFailures).toEqual([{ code: 'UNAVAILABLE', count: 1 }]);
    for (const bad of [{ since: '2024-01-01' }, { since: Number.NaN }, 5]) {
      await expect(storage.stats(bad as never)).rejects.toMatchObject({
        code: ErrorCode.InvalidInput,
        message: expect.stringMatching(/^stats: since must be a time in epoch milliseconds/),
      });
    }
    for (const bad of [undefined, 42, '']) {
      await expect(storage.migrationStatus(bad as never)).rejects.toMatchObject({
        code: ErrorCode.InvalidInput,
        message: expect.stringMatching(/^migrationStatus: the job id must be a non-empty string/),
      });
    }
    for (const bad of [undefined, 42]) {
      await expect(storage.removeTarget(bad as never)).rejects.toMatchObject({
        code: ErrorCode.InvalidInput,
        message: expect.stringMatching(/^removeTarget: the target id must be a string like "r2.1"/),
      });
    }
  });

  it('keeps the whole result local when one variant fails, and removes the files already sent', async () => {
    await ws.addResult('v/a.png');
    await ws.addResult('v/a-small.webp');
    seen.failFor.set('v/a-small.webp', ErrorCode.Unavailable);
    const outcome = await storage.offload(
      { path: 'v/a.png', variants: { small: 'v/a-small.webp' } },
      { deleteLocal: true },
    );
    expect(outcome).toMatchObject({ status: 'local', localDeleted: false, failedStage: 'upload' });
    expect(await fileSha256(join(archiveRoot, 'v/a.png'))).toBeUndefined();
    expect(await fileSha256(join(ws.resultsRoot, 'v/a.png'))).toBeDefined();
    expect(await fileSha256(join(ws.resultsRoot, 'v/a-small.webp'))).toBeDefined();
    expect(await storage.catalog?.findByPath('v/a.png')).toMatchObject({ state: 'pending', targetId: 'local' });
  });

  it('refuses variants that are not files of the results disk before anything is sent', async () => {
    await ws.addResult('w/a.png');
    await expect(storage.offload({ path: 'w/a.png', variants: { thumb: 'w/missing.webp' } })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(
      storage.offload({ path: 'w/a.png', variants: { 'Bad Name': 'w/a.png', dup: 'w/a.png' } as never }),
    ).rejects.toThrow(/name "Bad Name" must be lower-case.*variants.dup.path: names a file of this result twice/);
    expect(seen.writes).toEqual([]);
  });

  it('emits events with size and duration, and counts results by state and target', async () => {
    const stored: StorageEventMap['offload:stored'][0][] = [];
    const failed: StorageEventMap['offload:failed'][0][] = [];
    storage.events.on('offload:stored', (event) => stored.push(event));
    storage.events.on('offload:failed', (event) => failed.push(event));
    await ws.addResult('s/ok.png', 1000);
    await ws.addResult('s/ok-t.webp', 10);
    await ws.addResult('s/bad.png', 2000);
    seen.failFor.set('s/bad.png', ErrorCode.Unavailable);
    const ok = await storage.offload({ path: 's/ok.png', variants: { t: 's/ok-t.webp' } });
    await storage.offload({ path: 's/bad.png' });
    expect(stored).toEqual([
      expect.objectContaining({ key: 's/ok.png', size: 1000, bytes: 1010, variants: 1, target: ok.target }),
    ]);
    expect(stored[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed).toEqual([
      expect.objectContaining({ key: 's/bad.png', size: 2000, code: 'UNAVAILABLE', stage: 'upload' }),
    ]);

    const stats = await storage.stats();
    expect(stats.byState).toMatchObject({ offloaded: 1, pending: 1 });
    expect(stats.byTarget).toEqual(
      [
        { targetId: ok.target, results: 1, bytes: 1010 },
        { targetId: 'local', results: 1, bytes: 2000 },
      ].sort((a, b) => (a.targetId < b.targetId ? -1 : 1)),
    );
    expect(stats.recentFailures).toEqual([{ code: 'UNAVAILABLE', count: 1 }]);
  });

  it('can be turned off for apps that keep their own records', async () => {
    const plain = await ws.open({ catalog: false });
    expect(plain.catalog).toBeUndefined();
    await expect(plain.stats()).rejects.toMatchObject({ code: ErrorCode.Unsupported });
    await writeFile(join(ws.resultsRoot, 'p.png'), 'x');
    expect((await plain.offload({ path: 'p.png' })).resultId).toBeUndefined();
  });
});
