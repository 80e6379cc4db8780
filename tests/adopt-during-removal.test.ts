/**
 * An offload with a content-addressed key template (`media/{sha256}.{extName}`)
 * adopts an object that already holds its very bytes, whoever wrote it. What
 * removes objects it believes nobody serves (reconcile's orphans, a deleted
 * result's kept copies, a new version's stale copies) checks first and deletes
 * after; an offload adopting the object in between must not end up recorded
 * at a key that is then deleted under it, its local copy gone; nor may a
 * retry remove, as its own abandoned leftover, an object another result
 * adopted since. Real MinIO, through a real S3 driver whose next `deleteMany`
 * (after the remover's checks) or next write of a key waits until the test
 * lets it go, so an offload runs in between, and whose connection can drop
 * right after a write is stored. Every case runs on the SQLite catalog and on
 * Postgres (a schema per server).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import {
  type AnyDriverDefinition,
  ErrorCode,
  type Storage,
  type StorageDriver,
  StorageError,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { createWorkspace, type Workspace, withOverrides } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';
import { CATALOG_KINDS, type TestCatalogs, testCatalogs } from './support/test-catalogs.js';

const TEMPLATE = 'media/{sha256}.{extName}';
const THUMB = Buffer.from('a blank 64x64 webp thumbnail that many results share');
const THUMB_KEY = `media/${createHash('sha256').update(THUMB).digest('hex')}.webp`;

/** Holds the next `deleteMany` in bucket `armedFor` whose keys include THUMB_KEY until `release()`; `reached` settles when it waits. */
class DeleteGate {
  /** The bucket whose next deleteMany of the thumbnail is held; none while undefined. */
  armedFor: string | undefined;
  reached: Promise<void>;
  #reach = () => {};
  #release = () => {};
  #released: Promise<void>;

  constructor() {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
    this.#released = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  async pass(bucket: string, keys: readonly string[]): Promise<void> {
    if (bucket !== this.armedFor || !keys.some((key) => key.endsWith(THUMB_KEY))) return;
    this.armedFor = undefined;
    this.#reach();
    await this.#released;
  }

  release(): void {
    this.#release();
  }
}

let deleteGate = new DeleteGate();

/**
 * Holds the next write whose key ends with `suffix` until `open()` lets it go on, or `fail()` makes it fail as a
 * lost connection would.
 */
class WriteGate {
  reached: Promise<void>;
  #reach = () => {};
  #settle: (failed: boolean) => void = () => {};
  #settled: Promise<boolean>;
  #held = false;

  constructor(readonly suffix: string) {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
    this.#settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  async pass(key: string): Promise<void> {
    if (this.#held || !key.endsWith(this.suffix)) return;
    this.#held = true; // only the first such write waits; the gate stays set so afterEach can let it go
    this.#reach();
    if (await this.#settled) {
      throw new StorageError(ErrorCode.Unavailable, `the connection was lost while writing "${key}"`, { key });
    }
  }

  open(): void {
    this.#settle(false);
  }

  fail(): void {
    this.#settle(true);
  }
}

let writeGate: WriteGate | undefined;

/** The key whose next write is stored and then, like every call after it until `connected`, answered with a lost connection. */
let loseAnswerTo: string | undefined;
/** False from a lost answer on until the test connects again. */
let connected = true;

function whileConnected(key: string): void {
  if (!connected) {
    throw new StorageError(ErrorCode.Unavailable, `the connection was lost at "${key}"`, {
      key,
      details: { uncertain: true },
    });
  }
}

/** The MinIO driver: the next deleteMany of the shared thumbnail and the next write a WriteGate names held, a lost answer after `loseAnswerTo`. */
const gatedMinio: AnyDriverDefinition = {
  ...minioDriverDefinition,
  create(settings, context) {
    const driver = minioDriverDefinition.create(settings, context) as StorageDriver;
    return withOverrides(driver, {
      write: async (key, body, options) => {
        whileConnected(key);
        await writeGate?.pass(key);
        const written = await driver.write(key, body, options);
        if (loseAnswerTo !== undefined && key.endsWith(loseAnswerTo)) {
          loseAnswerTo = undefined;
          connected = false;
        }
        whileConnected(key);
        return written;
      },
      stat: async (key) => {
        whileConnected(key);
        return driver.stat(key);
      },
      read: async (key, options) => {
        whileConnected(key);
        return driver.read(key, options);
      },
      deleteMany: async (keys) => {
        whileConnected(keys[0] ?? '');
        await deleteGate.pass((settings as { bucket: string }).bucket, keys);
        return driver.deleteMany(keys);
      },
    });
  },
} as AnyDriverDefinition;

// The protocol's two sides meet in the catalog, so each case runs on both: the default SQLite file and Postgres.
describe.each(CATALOG_KINDS)('an offload adopting an object while something removes it (%s)', (kind) => {
  const s3 = inject('s3');
  const { url } = inject('postgres');
  const bucket = bucketForSuite(s3, 'adopt-removal');
  const cold = bucketForSuite(s3, 'adopt-removal-cold');
  let workspaces: Workspace[];
  let catalogs: TestCatalogs;
  let prefix: string;

  beforeEach(() => {
    deleteGate = new DeleteGate();
    workspaces = [];
    catalogs = testCatalogs(kind, url);
    prefix = `a-${Math.random().toString(36).slice(2, 8)}`;
  });
  afterEach(async () => {
    deleteGate.release();
    writeGate?.fail();
    writeGate = undefined;
    loseAnswerTo = undefined;
    connected = true;
    await Promise.all(workspaces.map((ws) => ws.remove()));
    await catalogs.dropAll();
  });

  /** Saves and enables provider `name` on `bucketName` at this test's prefix, with the content-addressed template. */
  async function provider(storage: Storage, name: string, bucketName: string): Promise<void> {
    await storage.registry.saveSettings(name, {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucketName,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: prefix,
      keyTemplate: TEMPLATE,
    });
    await storage.registry.enable(name);
  }

  /**
   * A Storage with its own workspace and catalog (a SQLite file, or a Postgres schema of its own), defaulting to
   * the gated MinIO provider at the suite's prefix.
   */
  async function server(): Promise<{ ws: Workspace; storage: Storage }> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const storage = await ws.open(await catalogs.next());
    expect(storage.catalog?.kind).toBe(kind);
    storage.registry.register(gatedMinio);
    await provider(storage, 'minio', bucket.name);
    await storage.registry.setDefault('minio');
    return { ws, storage };
  }

  /** Adds the provider `cold` (another bucket, same template, the same gates) to `storage`, enabled. */
  async function withCold(storage: Storage): Promise<void> {
    storage.registry.register(gatedMinio, { name: 'cold' });
    await provider(storage, 'cold', cold.name);
  }

  /** Writes result `name`.png with the shared thumbnail as its variant `t`. */
  async function result(ws: Workspace, name: string) {
    await writeFile(join(ws.resultsRoot, `${name}.png`), `the original of ${name}: ${Math.random()}`);
    await writeFile(join(ws.resultsRoot, `${name}-t.webp`), THUMB);
    return { path: `${name}.png`, variants: { t: `${name}-t.webp` } };
  }

  /** The keys the bucket holds under this test's prefix, without the prefix. */
  async function storageKeys(): Promise<string[]> {
    return (await bucket.view(`${prefix}/`)).objects.map((object) => object.key.slice(prefix.length + 1));
  }

  /** What the result at `location` serves as its thumbnail: from the bucket, or from local disk while it is local. */
  async function thumbnail(storage: Storage, location: string): Promise<Buffer> {
    return streamToBuffer(await storage.read(location, { variant: 't' }));
  }

  it("reconcile's orphan deletion and an offload adopting that orphan: the result keeps its thumbnail", async () => {
    // An older server (a catalog restored from an earlier backup, say) stored the thumbnail; this catalog
    // knows nothing of it, so reconcile sees an orphan Stowage wrote, old enough to delete.
    const older = await server();
    const first = await older.storage.offload(await result(older.ws, 'first'), { deleteLocal: true });
    expect(first.backend).toBe('minio');
    const { ws, storage } = await server();

    deleteGate.armedFor = bucket.name;
    const reconciling = storage.reconcile({ target: 'minio', fix: true, graceMs: 0 });
    await deleteGate.reached; // every check done: the orphans are about to be deleted

    // The thumbnail's key holds its very bytes, but a removal has claimed it: not adopted, the result stays local.
    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'local', failedStage: 'upload', error: { code: ErrorCode.Unavailable } });
    expect(second.error?.message).toContain(`"${THUMB_KEY}", which holds these very bytes but is being removed`);
    expect(await storage.catalog?.findByPath('second.png')).toMatchObject({ state: 'pending', intent: undefined });
    expect(await readFile(join(ws.resultsRoot, 'second-t.webp'))).toEqual(THUMB);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);

    deleteGate.release();
    const report = await reconciling;
    expect(report.fixes).toMatchObject({ orphansDeleted: 2, orphanDeletesFailed: 0 }); // the older server's two objects
    expect(await storageKeys()).not.toContain(THUMB_KEY);

    // Once the removal is over, the next attempt (the worker's, or this one) writes the thumbnail afresh.
    const again = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(again).toMatchObject({ status: 'offloaded', backend: 'minio' });
    expect(await thumbnail(storage, again.location)).toEqual(THUMB);
    expect(await storageKeys()).toContain(THUMB_KEY);
  });
  it('deleting a result removes its kept copy, and an offload adopting that copy meanwhile keeps its thumbnail', async () => {
    const { ws, storage } = await server();
    await withCold(storage);
    // a moves to the cold bucket and keeps its copies in the hot one (a migration without deleteSource).
    const first = await storage.offload(await result(ws, 'first'), { deleteLocal: true });
    await storage.migrate({ from: 'minio', to: 'cold' });
    expect((await storage.catalog?.findByPath('first.png'))?.keptCopies).toEqual([
      { targetId: 'minio.1', keys: [expect.any(String), THUMB_KEY] },
    ]);

    deleteGate.armedFor = bucket.name;
    const deleting = storage.delete(first.location);
    await deleteGate.reached; // the kept copies are checked and about to be deleted

    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
    deleteGate.release();
    await deleting;
    expect(await storage.exists(first.location)).toBe(false);
    expect(await storageKeys()).toEqual([]);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);

    const again = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(again).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    expect(await thumbnail(storage, again.location)).toEqual(THUMB);
  });

  it("a failed send's clean-up leaves the object another result adopted from it while it was sent", async () => {
    const { ws, storage } = await server();
    // a writes its thumbnail, then its poster's write hangs; b adopts a's thumbnail and is offloaded meanwhile.
    const input = await result(ws, 'first');
    await writeFile(join(ws.resultsRoot, 'first-p.webp'), 'the poster of the first result');
    const gate = new WriteGate(
      `media/${createHash('sha256').update('the poster of the first result').digest('hex')}.webp`,
    );
    writeGate = gate;
    const failing = storage.offload(
      { ...input, variants: { ...input.variants, p: 'first-p.webp' } },
      { deleteLocal: true },
    );
    await gate.reached;
    expect(await storageKeys()).toContain(THUMB_KEY); // written by a

    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    await expect(readFile(join(ws.resultsRoot, 'second-t.webp'))).rejects.toMatchObject({ code: 'ENOENT' });

    gate.fail();
    expect(await failing).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
    // a's own original is cleaned up; the thumbnail b serves stays.
    expect((await storageKeys()).sort()).toEqual(
      (await storage.catalog?.findByPath('second.png'))?.files.map((file) => file.key).sort(),
    );
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
  });
  it("a move to where another result serves the same key is refused before it writes, and that result's object stays", async () => {
    const { ws, storage } = await server();
    await withCold(storage);
    // b lives in the cold bucket; a, with the same thumbnail, in the hot one.
    await storage.registry.setDefault('cold');
    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    await storage.registry.setDefault('minio');
    const first = await storage.offload(await result(ws, 'first'), { deleteLocal: true });
    expect([second.target, first.target]).toEqual(['cold.1', 'minio.1']);

    // a's thumbnail key already serves b in the cold bucket: a is not moved, and nothing is written over b's object.
    const report = await storage.migrate({ from: 'minio', to: 'cold' });
    expect(report.results).toMatchObject({ done: 0, failed: 1, total: 1 });
    expect(report.failures).toEqual({ [ErrorCode.Misconfigured]: 1 });
    const record = await storage.catalog?.findByPath('first.png');
    expect(record).toMatchObject({ targetId: 'minio.1', intent: undefined });
    expect(record?.lastError?.message).toContain(`key "${THUMB_KEY}" in cold.1 already serves another result`);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect(await thumbnail(storage, first.location)).toEqual(THUMB);
    const coldKeys = (await cold.view(`${prefix}/`)).objects.map((object) => object.key.slice(prefix.length + 1));
    expect(coldKeys.sort()).toEqual((await storage.catalog?.findByPath('second.png'))?.files.map((f) => f.key).sort());
  });
  it("a move whose commit is refused (another result took the key there meanwhile) leaves that result's object", async () => {
    const { ws, storage } = await server();
    await withCold(storage);
    const first = await storage.offload(await result(ws, 'first'), { deleteLocal: true });
    // The move of a to the cold bucket waits at its thumbnail; meanwhile b is offloaded there with the same one.
    const gate = new WriteGate(THUMB_KEY);
    writeGate = gate;
    const moving = storage.migrate({ from: 'minio', to: 'cold' });
    await gate.reached;
    await storage.registry.setDefault('cold');
    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded', target: 'cold.1' });

    // a's thumbnail goes over b's object (the same bytes); its commit is refused, and what it wrote is removed but that.
    gate.open();
    const report = await moving;
    expect(report.results).toMatchObject({ done: 0, failed: 1, total: 1 });
    expect(report.failures).toEqual({ [ErrorCode.PreconditionFailed]: 1 });
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect(await thumbnail(storage, first.location)).toEqual(THUMB);
    const coldKeys = (await cold.view(`${prefix}/`)).objects.map((object) => object.key.slice(prefix.length + 1));
    expect(coldKeys.sort()).toEqual((await storage.catalog?.findByPath('second.png'))?.files.map((f) => f.key).sort());
  });
  it('deleting a result whose kept copy an offload in flight names is refused, and succeeds once that offload is recorded', async () => {
    const { ws, storage } = await server();
    await withCold(storage);
    const first = await storage.offload(await result(ws, 'first'), { deleteLocal: true });
    await storage.migrate({ from: 'minio', to: 'cold' });
    // b's intent (naming the thumbnail's key in the hot bucket) is committed; its first write waits.
    const gate = new WriteGate('.png');
    writeGate = gate;
    const offloading = storage.offload(await result(ws, 'second'), { deleteLocal: true });
    await gate.reached;

    await expect(storage.delete(first.location)).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
      message: expect.stringContaining(`another result is being stored at key "${THUMB_KEY}"`),
    });
    expect(await storage.exists(first.location)).toBe(true); // not marked deleted
    gate.open();
    const second = await offloading;
    expect(second).toMatchObject({ status: 'offloaded', target: 'minio.1' }); // it adopted the kept copy

    await storage.delete(first.location);
    expect(await storage.exists(first.location)).toBe(false);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect((await storageKeys()).sort()).toEqual(
      (await storage.catalog?.findByPath('second.png'))?.files.map((file) => file.key).sort(),
    );
  });

  /**
   * a's attempt stores its original and its thumbnail, then the connection drops before the thumbnail's answer and
   * stays down while a cleans up, so a stays local with its intent left for recovery; b, with the same thumbnail,
   * then adopts the object a's attempt left.
   */
  async function abandonedThenAdopted(ws: Workspace, storage: Storage) {
    const input = await result(ws, 'first');
    loseAnswerTo = THUMB_KEY;
    const failed = await storage.offload(input, { deleteLocal: true });
    connected = true;
    expect(failed).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
    expect(await storageKeys()).toContain(THUMB_KEY);
    const second = await storage.offload(await result(ws, 'second'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    const secondKeys = (await storage.catalog?.findByPath('second.png'))?.files.map((file) => file.key).sort();
    return { input, second, secondKeys };
  }

  it('a retry that meets the object its abandoned attempt left, adopted by another result meanwhile, leaves it to that result', async () => {
    const { ws, storage } = await server();
    const { input, second, secondKeys } = await abandonedThenAdopted(ws, storage);
    const retried = await storage.offload(input, { deleteLocal: true });

    // The object carries a's abandoned attempt, but b serves it now: a leaves it and stays local.
    expect(retried).toMatchObject({ status: 'local', error: { code: ErrorCode.Misconfigured } });
    expect(retried.error?.message).toContain(`"${THUMB_KEY}", which already holds these very bytes for another result`);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect(await thumbnail(storage, retried.location)).toEqual(THUMB);
    expect((await storageKeys()).sort()).toEqual(secondKeys);
    // Deleting a, which lives on local disk, leaves b whole.
    await storage.delete(retried.location);
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect((await storageKeys()).sort()).toEqual(secondKeys);
  });

  it('recovery of that abandoned attempt leaves the object another result adopted, and sends the result again', async () => {
    const { ws, storage } = await server();
    const { second, secondKeys } = await abandonedThenAdopted(ws, storage);

    // Both objects carry a's attempt id and its very bytes, but b serves the thumbnail now: a is not adopted.
    expect(await storage.recover()).toMatchObject({ adopted: 0, requeued: 1, deferred: 0 });
    expect(await storage.catalog?.findByPath('first.png')).toMatchObject({
      state: 'pending',
      targetId: 'local',
      intent: undefined,
    });
    expect(await thumbnail(storage, second.location)).toEqual(THUMB);
    expect((await storageKeys()).sort()).toEqual(secondKeys); // a's original removed, b's thumbnail kept
  });
});
