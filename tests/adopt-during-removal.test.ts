/**
 * An offload with a content-addressed key template (`media/{sha256}.{extName}`)
 * adopts an object that already holds its very bytes, whoever wrote it. What
 * removes objects it believes nobody serves (reconcile's orphans, a deleted
 * result's kept copies, a new version's stale copies) checks first and deletes
 * after; an offload adopting the object in between must not end up recorded
 * at a key that is then deleted under it, its local copy gone. Real MinIO;
 * the one pause is a real S3 driver whose next `deleteMany` waits until the
 * test lets it go, after the remover's checks, so an offload runs in between.
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

const TEMPLATE = 'media/{sha256}.{extName}';
const THUMB = Buffer.from('a blank 64x64 webp thumbnail that many results share');
const THUMB_KEY = `media/${createHash('sha256').update(THUMB).digest('hex')}.webp`;

/** Holds the next `deleteMany` whose keys include THUMB_KEY until `release()`; `reached` settles when it waits. */
class DeleteGate {
  armed = false;
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

  async pass(keys: readonly string[]): Promise<void> {
    if (!this.armed || !keys.some((key) => key.endsWith(THUMB_KEY))) return;
    this.armed = false;
    this.#reach();
    await this.#released;
  }

  release(): void {
    this.#release();
  }
}

let deleteGate = new DeleteGate();

/** Holds the next write whose key ends with `suffix` until `fail()`, which makes it fail as a lost connection would. */
class WriteGate {
  reached: Promise<void>;
  #reach = () => {};
  #fail = () => {};
  #failed: Promise<void>;

  constructor(readonly suffix: string) {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
    this.#failed = new Promise((resolve) => {
      this.#fail = resolve;
    });
  }

  async pass(key: string): Promise<void> {
    if (!key.endsWith(this.suffix)) return;
    writeGate = undefined;
    this.#reach();
    await this.#failed;
    throw new StorageError(ErrorCode.Unavailable, `the connection was lost while writing "${key}"`, { key });
  }

  fail(): void {
    this.#fail();
  }
}

let writeGate: WriteGate | undefined;

/** The MinIO driver, with the next deleteMany of the shared thumbnail, and the next write a WriteGate names, held. */
const gatedMinio: AnyDriverDefinition = {
  ...minioDriverDefinition,
  create(settings, context) {
    const driver = minioDriverDefinition.create(settings, context) as StorageDriver;
    return withOverrides(driver, {
      write: async (key, body, options) => {
        await writeGate?.pass(key);
        return driver.write(key, body, options);
      },
      deleteMany: async (keys) => {
        await deleteGate.pass(keys);
        return driver.deleteMany(keys);
      },
    });
  },
} as AnyDriverDefinition;

describe('an offload adopting an object while something removes it', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'adopt-removal');
  const cold = bucketForSuite(s3, 'adopt-removal-cold');
  let workspaces: Workspace[];
  let prefix: string;

  beforeEach(() => {
    deleteGate = new DeleteGate();
    workspaces = [];
    prefix = `a-${Math.random().toString(36).slice(2, 8)}`;
  });
  afterEach(async () => {
    deleteGate.release();
    writeGate?.fail();
    writeGate = undefined;
    await Promise.all(workspaces.map((ws) => ws.remove()));
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

  /** A Storage with its own workspace and catalog, defaulting to the gated MinIO provider at the suite's prefix. */
  async function server(): Promise<{ ws: Workspace; storage: Storage }> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const storage = await ws.open();
    storage.registry.register(gatedMinio);
    await provider(storage, 'minio', bucket.name);
    await storage.registry.setDefault('minio');
    return { ws, storage };
  }

  /** Adds the provider `cold` (another bucket, same template) to `storage`, enabled. */
  async function withCold(storage: Storage): Promise<void> {
    storage.registry.register(minioDriverDefinition, { name: 'cold' });
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

    deleteGate.armed = true;
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

    deleteGate.armed = true;
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
});
