/**
 * createStorage() on the Postgres catalog, as two app servers sharing one
 * schema and one settings file: what one offloads (to a local "archive"
 * root), the other resolves, reads and deletes; results that stayed local on
 * one are sent by the two workers together, each exactly once.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { openPostgresCatalog, type PostgresCatalog } from '../packages/catalog-postgres/src/index.js';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import {
  controlledDefinition,
  createWorkspace,
  eventually,
  fileSha256,
  sha256,
  type Workspace,
  type WriteControl,
} from './support/fixture.js';

const { url } = inject('postgres');
const FAST_RETRY = { firstDelayMs: 100, maxDelayMs: 400, jitter: 0.2 };

describe('createStorage() on the Postgres catalog, two servers', () => {
  let ws: Workspace;
  let schema: string;
  let catalogs: PostgresCatalog[];
  let control: WriteControl;
  let archiveRoot: string;
  let serverA: Storage;
  let serverB: Storage;

  async function server(): Promise<Storage> {
    const catalog = await openPostgresCatalog({ connectionString: url, schema, maxConnections: 4 });
    catalogs.push(catalog);
    const storage = await ws.open({ catalog, retry: FAST_RETRY });
    storage.registry.register(controlledDefinition(control));
    return storage;
  }

  beforeEach(async () => {
    ws = await createWorkspace();
    schema = `offload_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    catalogs = [];
    control = { writes: [] };
    archiveRoot = await ws.folder('archive');
    serverA = await server();
    await serverA.registry.saveSettings('archive', { root: archiveRoot, publicBaseUrl: 'https://cdn.example/m' });
    await serverA.registry.enable('archive');
    await serverA.registry.setDefault('archive');
    serverB = await server();
  });
  afterEach(async () => {
    await ws.remove();
    // The storages do not own catalogs they were given: the app closes them.
    await Promise.all(catalogs.map((catalog) => catalog.close()));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('offloads on one server; the other resolves, reads and deletes through the shared records', async () => {
    expect(serverA.catalog?.kind).toBe('postgres');
    const original = await ws.addResult('images/cat.png', 5000);
    const thumb = await ws.addResult('images/cat-320.webp', 300);
    const outcome = await serverA.offload(
      { path: 'images/cat.png', variants: { w320: 'images/cat-320.webp' } },
      { deleteLocal: true },
    );
    expect(outcome).toMatchObject({ status: 'offloaded', backend: 'archive', localDeleted: true, sha256: original });
    expect(await fileSha256(join(archiveRoot, 'images/cat.png'))).toBe(original);
    expect(await fileSha256(join(ws.resultsRoot, 'images/cat.png'))).toBeUndefined();

    // Server B, on its own pool, sees the committed record.
    const record = await serverB.catalog?.resolve(outcome.location);
    expect(record).toMatchObject({
      id: outcome.resultId,
      path: 'images/cat.png',
      state: 'offloaded',
      targetId: outcome.target,
      localCopy: false,
      intent: undefined,
      files: [
        { name: '', key: 'images/cat.png', size: 5000, sha256: original, contentType: 'image/png' },
        { name: 'w320', key: 'images/cat-320.webp', size: 300, sha256: thumb, contentType: 'image/webp' },
      ],
    });
    expect(await serverB.catalog?.locationsOf(record?.id as string)).toEqual([
      'local:images/cat.png',
      outcome.location,
    ]);
    expect(sha256(await streamToBuffer(await serverB.read(outcome.location)))).toBe(original);
    expect(sha256(await streamToBuffer(await serverB.read('local:images/cat.png', { variant: 'w320' })))).toBe(thumb);
    expect((await serverB.url(outcome.location)).url).toBe('https://cdn.example/m/images/cat.png');

    await serverB.delete(outcome.location);
    expect(await fileSha256(join(archiveRoot, 'images/cat.png'))).toBeUndefined();
    expect(await fileSha256(join(archiveRoot, 'images/cat-320.webp'))).toBeUndefined();
    expect(await serverA.catalog?.get(outcome.resultId as string)).toMatchObject({ state: 'deleted' });
    await expect(serverA.read(outcome.location)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('a templated key fixed on one server is where the other server’s worker sends the result', async () => {
    await serverA.registry.saveSettings('archive', {
      root: archiveRoot,
      keyTemplate: 'u/{uuid}-{timestamp}.{extName}',
    });
    await serverB.registry.reload(); // what an app does when another server changed settings
    const sha = await ws.addResult('tpl/one.png', 1500);
    control.failure = ErrorCode.Unavailable;
    expect((await serverA.offload({ path: 'tpl/one.png' })).status).toBe('local');
    const tried = control.writes.at(-1) as string;
    expect(tried).toMatch(/^u\/[0-9a-f-]{36}-\d+\.png$/);

    control.failure = undefined;
    control.writes = [];
    serverB.startWorker({ pollIntervalMs: 100 });
    await eventually(
      async () => (await serverA.catalog?.findByPath('tpl/one.png'))?.state === 'offloaded',
      15_000,
      'server B offloaded it',
    );
    await serverB.stopWorker();
    expect(control.writes).toEqual([tried]);
    expect(await serverA.catalog?.findByPath('tpl/one.png')).toMatchObject({ key: tried });
    expect(await fileSha256(join(archiveRoot, tried))).toBe(sha);
  });

  it('sends results that stayed local on one server with both servers’ workers, each exactly once', async () => {
    const expected = new Map<string, string>();
    for (let i = 0; i < 12; i++) expected.set(`batch/${i}.png`, await ws.addResult(`batch/${i}.png`, 1000 + i));
    control.failure = ErrorCode.Unavailable;
    const outcomes = await serverA.offloadMany([...expected.keys()].map((path) => ({ path })));
    expect(outcomes.every((outcome) => outcome.status === 'local')).toBe(true);
    expect((await serverB.stats()).byState.pending).toBe(12);

    control.failure = undefined;
    control.writes = [];
    serverA.startWorker({ concurrency: 2, pollIntervalMs: 100 });
    serverB.startWorker({ concurrency: 2, pollIntervalMs: 100 });
    await eventually(async () => (await serverB.stats()).byState.offloaded === 12, 30_000, 'all 12 are offloaded');
    await Promise.all([serverA.stopWorker(), serverB.stopWorker()]);

    expect([...control.writes].sort()).toEqual([...expected.keys()].sort());
    for (const [path, sha] of expected) {
      expect(await fileSha256(join(archiveRoot, path))).toBe(sha);
      expect(await serverA.catalog?.findByPath(path)).toMatchObject({ state: 'offloaded', intent: undefined });
    }
    const target = (await serverA.catalog?.findByPath('batch/0.png'))?.targetId;
    expect(target).not.toBe('local');
    const stats = await serverA.stats();
    expect(stats).toMatchObject({ total: 12, inFlight: 0 });
    const bytes = Array.from({ length: 12 }, (_, i) => 1000 + i).reduce((sum, size) => sum + size, 0);
    expect(stats.byTarget).toEqual([{ targetId: target, results: 12, bytes }]);
  });
});
