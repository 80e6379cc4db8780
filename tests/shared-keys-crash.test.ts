/**
 * A content-addressed key template (`media/{sha256}.{extName}`) under SIGKILL.
 * Results share thumbnails (the same bytes, so the same key); offloaded two at
 * a time, one may adopt the object the other is writing, and the second
 * commit at that key is refused. A child process (built dist/ code) offloads
 * the batch with delete-local on and is killed at a random moment; the parent
 * recovers, sends again what is still local, then deletes every result. A
 * second child also deletes the first half of the batch while it offloads the
 * rest, so deletes remove objects that offloads of the same bytes may adopt;
 * the parent then finishes those deletes before it checks. Both on the SQLite
 * catalog and on Postgres (a schema per batch, shared by parent and child). After
 * each restart every result is whole in one place (offloaded: each file reads
 * its bytes from the bucket; else its files are on the results disk), no
 * intent is left, and the bucket holds exactly the objects live records
 * serve; once every result is deleted it holds nothing (no public object left
 * behind a deleted record).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { type Catalog, ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { runChild } from './support/crash-child.js';
import { createWorkspace, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';
import { CATALOG_KINDS, testCatalogs } from './support/test-catalogs.js';

const OFFLOAD_CHILD = fileURLToPath(new URL('./fixtures/offload-crash-child.mjs', import.meta.url));
const OFFLOAD_DELETE_CHILD = fileURLToPath(new URL('./fixtures/offload-delete-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3', 'catalog-postgres'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
const RESULTS = 8;
/** Result i has thumbnail i % THUMBS: each thumbnail is shared by several results. */
const THUMBS = 3;
const KILLS = 8;
/** The offload-and-delete child deletes the first DELETED results while it offloads the rest. */
const DELETED = RESULTS / 2;
const TEMPLATE = 'media/{sha256}.{extName}';

/** The thumbnail of result `rN.png`: `rN-t.webp`. */
function thumbnailOf(path: string): string {
  return path.replace(/\.png$/, '-t.webp');
}

interface Batch {
  readonly ws: Workspace;
  /** The batch's catalog for the parent's storages: the default SQLite file, or a Postgres schema the child opens too. */
  readonly catalog: { readonly catalog?: Catalog };
  /** Each result's path, with the SHA-256 of its original and of its thumbnail `t`. */
  readonly results: ReadonlyMap<string, { readonly original: string; readonly thumb: string }>;
  readonly config: string;
}

describe.each(CATALOG_KINDS)('a content-addressed template under SIGKILL, results sharing thumbnails (%s)', (kind) => {
  const s3 = inject('s3');
  const { url } = inject('postgres');
  const bucket = bucketForSuite(s3, 'shared-keys-crash');
  const workspaces: Workspace[] = [];
  const catalogs = testCatalogs(kind, url);

  beforeAll(() => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
  });
  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.remove()));
    await catalogs.dropAll();
  });

  async function openStorage(ws: Workspace, catalog: Batch['catalog']): Promise<Storage> {
    const storage = await ws.open(catalog);
    expect(storage.catalog?.kind).toBe(kind);
    storage.registry.register(minioDriverDefinition, { name: 'archive' });
    return storage;
  }

  /** A workspace with the batch on its results disk and the archive set up with the template. */
  async function prepare(round: number): Promise<Batch> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const catalog = await catalogs.next();
    const storage = await openStorage(ws, catalog);
    await storage.registry.saveSettings('archive', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: `round-${round}`,
      keyTemplate: TEMPLATE,
      deleteLocal: true,
    });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await storage.close();
    const results = new Map<string, { original: string; thumb: string }>();
    const inputs = [];
    for (let i = 0; i < RESULTS; i++) {
      const path = `r${i}.png`;
      const original = await ws.addResult(path, 2048 + i * 40_000);
      const thumbBytes = Buffer.from(`thumbnail ${i % THUMBS} of round ${round}: `.repeat(200));
      await writeFile(join(ws.resultsRoot, `r${i}-t.webp`), thumbBytes);
      results.set(path, { original, thumb: sha256(thumbBytes) });
      inputs.push({ path, variants: { t: `r${i}-t.webp` } });
    }
    const config = JSON.stringify({
      resultsRoot: ws.resultsRoot,
      settingsFile: ws.settingsFile,
      appKey: TEST_APP_KEY,
      backend: 'archive',
      kind: 'minio',
      results: inputs,
      journal: join(ws.dir, 'journal.ndjson'),
      concurrency: 2,
      deleteFirst: DELETED,
      postgres: catalog.catalog ? { url, schema: catalogs.schemaOf(catalog.catalog) } : undefined,
    });
    return { ws, catalog, results, config };
  }

  /** The keys under the round's prefix in the bucket, without the prefix. */
  async function bucketKeys(round: number): Promise<string[]> {
    const prefix = `round-${round}/`;
    return (await bucket.view(prefix)).objects.map((object) => object.key.slice(prefix.length)).sort();
  }

  /**
   * Every result whole in one place but the `deleted` ones (no record, nothing on the results disk), no intent
   * left, the bucket holding exactly what live records serve.
   */
  async function expectConsistent(storage: Storage, round: number, batch: Batch, deleted: Set<string>): Promise<void> {
    const served: string[] = [];
    for (const [path, sha] of batch.results) {
      const record = await storage.catalog?.findByPath(path);
      if (deleted.has(path)) {
        expect(record, `${path} deleted`).toBeUndefined();
        expect(existsSync(join(batch.ws.resultsRoot, path)), `${path} deleted`).toBe(false);
        expect(existsSync(join(batch.ws.resultsRoot, thumbnailOf(path))), `${path}'s thumbnail deleted`).toBe(false);
        continue;
      }
      if (!record) throw new Error(`no record of ${path}`);
      expect(record.intent, `${path}: no intent left`).toBeUndefined();
      expect(sha256(await streamToBuffer(await storage.read(record.location))), `${path}`).toBe(sha.original);
      const thumb = await streamToBuffer(await storage.read(record.location, { variant: 't' }));
      expect(sha256(thumb), `${path}'s thumbnail`).toBe(sha.thumb);
      if (record.state === 'offloaded') {
        served.push(...record.files.map((file) => file.key));
      } else {
        // Not offloaded: both files still on the results disk.
        const local = await readFile(join(batch.ws.resultsRoot, path));
        expect(sha256(local), `${path} on local disk`).toBe(sha.original);
      }
    }
    expect(await bucketKeys(round), 'the bucket holds what live records serve, nothing else').toEqual(served.sort());
  }

  /** Intents the kills left that recovery settled, over every round. */
  let settled = 0;

  /**
   * Recovers, finishes what the child was doing (deletes the `deleted` results, sends again what is still
   * local), checks, then deletes every result and checks nothing is left. Returns how many sends were refused.
   */
  async function settle(round: number, batch: Batch, deleted = new Set<string>()): Promise<number> {
    const storage = await openStorage(batch.ws, batch.catalog);
    const report = await storage.recover(); // first, before any offload or delete could run it
    settled += report.adopted + report.requeued + report.cleanupsFinished + report.deletesFinished;
    for (const path of deleted) {
      const record = await storage.catalog?.findByPath(path);
      if (record) {
        await storage.delete(record.location);
        continue;
      }
      // Killed before the child offered it to Stowage: its files are the app's alone, deleted where they are.
      await storage.delete(`local:${path}`);
      await storage.delete(`local:${thumbnailOf(path)}`);
    }
    let refused = 0;
    for (const path of batch.results.keys()) {
      if (deleted.has(path)) continue;
      const record = await storage.catalog?.findByPath(path);
      if (record?.state === 'offloaded') continue;
      const again = await storage.offload({ path, variants: { t: thumbnailOf(path) } });
      if (again.status === 'offloaded') continue;
      // A thumbnail another live result serves: refused by design, the result stays local, whole.
      expect(again.error, `${path}: ${again.error?.message}`).toMatchObject({ code: ErrorCode.Misconfigured });
      expect(again.error?.message).toContain('already holds these very bytes for another result');
      refused++;
    }
    await expectConsistent(storage, round, batch, deleted);
    for (const path of batch.results.keys()) {
      const record = await storage.catalog?.findByPath(path);
      if (record) await storage.delete(record.location);
    }
    expect(await bucketKeys(round), 'every result deleted: nothing left in the bucket').toEqual([]);
    for (const path of batch.results.keys()) {
      expect(existsSync(join(batch.ws.resultsRoot, path))).toBe(false);
      expect(existsSync(join(batch.ws.resultsRoot, thumbnailOf(path)))).toBe(false);
    }
    await storage.close();
    return refused;
  }

  it('leaves every result whole in one place and no object behind, wherever the kill lands', async () => {
    const calibration = await prepare(0);
    const window = await runChild(OFFLOAD_CHILD, calibration.config);
    // Each thumbnail serves one result; the others that share it stay local, refused.
    expect(await settle(0, calibration)).toBe(RESULTS - THUMBS);
    for (let round = 1; round <= KILLS; round++) {
      const batch = await prepare(round);
      await runChild(OFFLOAD_CHILD, batch.config, { afterMs: Math.random() * window });
      await settle(round, batch);
    }
    // Some kills landed while offloads were in flight, so recovery had their intents to settle.
    expect(settled).toBeGreaterThan(0);
  }, 120_000);

  it('deleting results while others with the same thumbnails are offloaded, killed anywhere, leaves the same', async () => {
    settled = 0;
    const deleted = (batch: Batch) => new Set([...batch.results.keys()].slice(0, DELETED));
    const calibration = await prepare(100);
    const window = await runChild(OFFLOAD_DELETE_CHILD, calibration.config);
    await settle(100, calibration, deleted(calibration));
    for (let round = 101; round <= 100 + KILLS; round++) {
      const batch = await prepare(round);
      await runChild(OFFLOAD_DELETE_CHILD, batch.config, { afterMs: Math.random() * window });
      await settle(round, batch, deleted(batch));
    }
    expect(settled).toBeGreaterThan(0);
  }, 120_000);
});
