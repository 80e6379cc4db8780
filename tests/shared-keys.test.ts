/**
 * A content-addressed key template (`media/{sha256}.{extName}`) lets one
 * object be two results' file: an offload whose templated key already holds
 * its very bytes adopts that object instead of writing it again (a blank
 * thumbnail, a duplicate upload). Whatever removes a result's copies must then
 * leave the object to the result that serves it: a failed send cleaning up, a
 * discarded upload of a file that changed, a new version's stale copies, a
 * migration's kept copies made stale. Real MinIO; the one pause is a real S3
 * driver whose next write waits until the test lets it go, so another offload
 * can run in between. Every case runs on the SQLite catalog and on Postgres.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import {
  type AnyDriverDefinition,
  ErrorCode,
  type Storage,
  type StorageDriver,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { createTestS3Client } from '../packages/testing/src/index.js';
import { createWorkspace, type Workspace, withOverrides } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';
import { CATALOG_KINDS, type TestCatalogs, testCatalogs } from './support/test-catalogs.js';

const TEMPLATE = 'media/{sha256}.{extName}';
const THUMB = Buffer.from('the very same thumbnail bytes: a blank 64x64 webp');

/** A pause on the next write whose key `matches`: `reached` settles when it waits, `release()` lets it go on. */
interface WriteGate {
  matches: (key: string) => boolean;
  reached: Promise<void>;
  release: () => void;
}

function gate(matches: (key: string) => boolean): WriteGate {
  let reach = () => {};
  let release = () => {};
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held: WriteGate = { matches, reached, release };
  const wait = async () => {
    reach();
    await released;
  };
  gates.set(held, wait);
  return held;
}

const gates = new Map<WriteGate, () => Promise<void>>();

/** The MinIO driver, with writes held by an armed gate (each gate holds one write). */
const gatedMinio: AnyDriverDefinition = {
  ...minioDriverDefinition,
  create(settings, context) {
    const driver = minioDriverDefinition.create(settings, context) as StorageDriver;
    return withOverrides(driver, {
      write: async (key, body, options) => {
        for (const [held, wait] of gates) {
          if (!held.matches(key)) continue;
          gates.delete(held);
          await wait();
        }
        return driver.write(key, body, options);
      },
    });
  },
} as AnyDriverDefinition;

describe.each(CATALOG_KINDS)('an object two results share through a content-addressed key (%s)', (kind) => {
  const s3 = inject('s3');
  const { url } = inject('postgres');
  const hot = bucketForSuite(s3, 'shared-hot');
  const cold = bucketForSuite(s3, 'shared-cold');
  let ws: Workspace;
  let storage: Storage;
  let catalogs: TestCatalogs;
  let prefix: string;

  beforeEach(async () => {
    gates.clear();
    ws = await createWorkspace();
    prefix = `s-${Math.random().toString(36).slice(2, 8)}`;
    catalogs = testCatalogs(kind, url);
    storage = await ws.open(await catalogs.next());
    expect(storage.catalog?.kind).toBe(kind);
    storage.registry.register(gatedMinio);
    storage.registry.register(minioDriverDefinition, { name: 'cold' });
    for (const [name, bucket] of [
      ['minio', hot],
      ['cold', cold],
    ] as const) {
      await storage.registry.saveSettings(name, {
        endpoint: s3.endpoint,
        region: s3.region,
        bucket: bucket.name,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        keyPrefix: prefix,
        keyTemplate: TEMPLATE,
      });
      await storage.registry.enable(name);
    }
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    gates.clear();
    await ws.remove();
    await catalogs.dropAll();
  });

  const thumbKey = `media/${sha256Hex(THUMB)}.webp`;

  /** Writes a result `name`.png with thumbnail variant `t` (THUMB unless given) into the results disk. */
  async function result(name: string, thumb: Buffer = THUMB) {
    await writeFile(join(ws.resultsRoot, `${name}.png`), `the original of ${name}: ${Math.random()}`);
    await writeFile(join(ws.resultsRoot, `${name}-t.webp`), thumb);
    return { path: `${name}.png`, variants: { t: `${name}-t.webp` } };
  }

  async function thumbnailOf(location: string): Promise<Buffer> {
    return streamToBuffer(await storage.read(location, { variant: 't' }));
  }

  async function hotKeys(): Promise<string[]> {
    return (await hot.view(`${prefix}/`)).objects.map((object) => object.key.slice(prefix.length + 1)).sort();
  }

  /** Puts an object Stowage did not write at `key` of the hot bucket, through a plain SDK client. */
  async function putForeign(key: string, body: Buffer) {
    const client = createTestS3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: hot.name, Key: `${prefix}/${key}`, Body: body }));
    } finally {
      client.destroy();
    }
  }

  /** Offloads a (with thumbnail THUMB) to the hot bucket and moves it to the cold one: a keeps its hot copies. */
  async function keptOnHot() {
    const first = await storage.offload(await result('a'), { deleteLocal: true });
    await storage.migrate({ from: 'minio', to: 'cold' });
    expect((await storage.catalog?.findByPath('a.png'))?.keptCopies).toEqual([
      { targetId: 'minio.1', keys: [expect.any(String), thumbKey] },
    ]);
    return first;
  }

  it('does not adopt an object another result serves: stays local, blocked, at once, and the object stays', async () => {
    const first = await storage.offload(await result('a'), { deleteLocal: true });
    const second = await storage.offload(await result('b'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'local', failedStage: 'upload', error: { code: ErrorCode.Misconfigured } });
    expect(second.error?.message).toContain(`"${thumbKey}", which already holds these very bytes for another result`);
    expect(await storage.catalog?.findByPath('b.png')).toMatchObject({ state: 'blocked', intent: undefined });
    // Asked again, it answers at once (no attempt left holding the record) with the same reason.
    const started = Date.now();
    expect(await storage.offload(await result('b'), { deleteLocal: true })).toMatchObject({
      status: 'local',
      error: { code: ErrorCode.Misconfigured },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await thumbnailOf(first.location)).toEqual(THUMB);
    // What b wrote itself (its original) is removed; a's two objects are all the bucket holds.
    expect(await hotKeys()).toEqual((await storage.catalog?.findByPath('a.png'))?.files.map((f) => f.key).sort());
  });

  it('a send that fails after adopting a kept copy leaves the copy to the result keeping it', async () => {
    await keptOnHot();
    // b adopts a's kept thumbnail, then its second variant meets another object at its templated key.
    const other = Buffer.from('the bytes of a poster b has');
    await writeFile(join(ws.resultsRoot, 'b-p.webp'), other);
    await putForeign(`media/${sha256Hex(other)}.webp`, Buffer.from('somebody else put this here'));
    const input = await result('b');
    const second = await storage.offload(
      { ...input, variants: { ...input.variants, p: 'b-p.webp' } },
      { deleteLocal: true },
    );
    expect(second).toMatchObject({ status: 'local', error: { code: ErrorCode.Misconfigured } });
    expect(await hotKeys()).toContain(thumbKey);
    expect((await storage.reconcile({ target: 'minio.1' })).keptCopies.missing.count).toBe(0);
  });

  it('an upload discarded because its file changed leaves an adopted kept copy to the result keeping it', async () => {
    await keptOnHot();
    // b's original is the thumbnail's very bytes (adopted); its variant waits until b's original is replaced.
    await writeFile(join(ws.resultsRoot, 'b.webp'), THUMB);
    await writeFile(join(ws.resultsRoot, 'b-big.png'), Buffer.alloc(64 * 1024, 1));
    const held = gate((key) => key.endsWith('.png'));
    const offloading = storage.offload({ path: 'b.webp', variants: { big: 'b-big.png' } }, { deleteLocal: true });
    await held.reached;
    await writeFile(join(ws.resultsRoot, 'b.webp.next'), 'a new version of b');
    await rename(join(ws.resultsRoot, 'b.webp.next'), join(ws.resultsRoot, 'b.webp'));
    held.release();
    expect(await offloading).toMatchObject({ status: 'local', error: { code: ErrorCode.ChangedDuringOffload } });
    expect(await hotKeys()).toContain(thumbKey);
    // What b wrote itself is discarded.
    expect(await hotKeys()).not.toContain(`media/${sha256Hex(Buffer.alloc(64 * 1024, 1))}.png`);
    expect((await storage.reconcile({ target: 'minio.1' })).keptCopies.missing.count).toBe(0);
  });

  it('two results adopting one kept copy at once: the one whose commit is refused lets go at once', async () => {
    await keptOnHot();
    // b adopts a's kept thumbnail, then waits at its poster; c adopts the same object and commits first.
    const poster = Buffer.from('the bytes of a poster b has');
    const posterKey = `media/${sha256Hex(poster)}.webp`;
    await writeFile(join(ws.resultsRoot, 'b-p.webp'), poster);
    const input = await result('b');
    const held = gate((key) => key === posterKey);
    const racing = storage.offload({ ...input, variants: { ...input.variants, p: 'b-p.webp' } }, { deleteLocal: true });
    await held.reached;
    const third = await storage.offload(await result('c'), { deleteLocal: true });
    expect(third).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    held.release();
    const second = await racing;
    expect(second).toMatchObject({
      status: 'local',
      failedStage: 'record',
      error: { code: ErrorCode.PreconditionFailed },
    });
    expect(await storage.catalog?.findByPath('b.png')).toMatchObject({ state: 'blocked', intent: undefined });
    // What b wrote itself is removed; the object c serves stays.
    const stored = await hotKeys();
    expect(stored).not.toContain(posterKey);
    expect(stored).not.toContain(`media/${sha256Hex(await readFile(join(ws.resultsRoot, 'b.png')))}.png`);
    expect(await thumbnailOf(third.location)).toEqual(THUMB);
    const started = Date.now();
    expect(await storage.offload({ ...input, variants: { ...input.variants, p: 'b-p.webp' } })).toMatchObject({
      status: 'local',
      error: { code: ErrorCode.Misconfigured },
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a new version's stale copies leave an object another result adopted while it was sent", async () => {
    const first = await storage.offload(await result('a'), { deleteLocal: false });
    const oldOriginal = (await storage.catalog?.findByPath('a.png'))?.files[0]?.key as string;
    // A new version of a (new thumbnail too) whose upload waits; meanwhile b adopts a's old thumbnail.
    await result('a', Buffer.from('a new thumbnail for a'));
    const held = gate((key) => key.endsWith('.png'));
    const reoffload = storage.offload({ path: 'a.png', variants: { t: 'a-t.webp' } }, { deleteLocal: true });
    await held.reached;
    const second = await storage.offload(await result('b'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded' });
    held.release();
    expect(await reoffload).toMatchObject({ status: 'offloaded' });
    expect(await thumbnailOf(second.location)).toEqual(THUMB);
    expect(await thumbnailOf(first.location)).toEqual(Buffer.from('a new thumbnail for a'));
    // The older version's copy nobody else serves is removed as before.
    expect(await hotKeys()).not.toContain(oldOriginal);
  });

  it("a new version makes a migration's kept copies stale, and leaves the one another result adopted", async () => {
    const first = await keptOnHot();
    const kept = (await storage.catalog?.findByPath('a.png'))?.keptCopies;
    const second = await storage.offload(await result('b'), { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    // a's new version goes back to the hot bucket: its kept copies there are stale bytes.
    await result('a', Buffer.from('a new thumbnail for a'));
    const again = await storage.offload({ path: 'a.png', variants: { t: 'a-t.webp' } }, { deleteLocal: true });
    expect(again).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    expect((await storage.catalog?.findByPath('a.png'))?.keptCopies).toEqual([]);
    expect(await thumbnailOf(second.location)).toEqual(THUMB);
    expect(await hotKeys()).not.toContain(kept?.[0]?.keys[0]);
    expect(await thumbnailOf(first.location)).toEqual(Buffer.from('a new thumbnail for a'));
  });
});

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
