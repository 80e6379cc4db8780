/**
 * The copies a migration keeps: `migrate()` without `deleteSource` leaves the
 * source copies in place, and the record keeps them, so delete() removes them
 * with the rest (no public object left behind), reconcile of the source does
 * not take them for orphans (and reports the ones removed behind Stowage's
 * back), the source target is not forgotten while it holds them, and a new
 * version offloaded later removes them as stale bytes. Two MinIO buckets,
 * looked at through a plain SDK client.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

describe('copies a migration keeps', () => {
  const s3 = inject('s3');
  const hot = bucketForSuite(s3, 'kept-hot');
  const cold = bucketForSuite(s3, 'kept-cold');
  let ws: Workspace;
  let storage: Storage;
  let prefix: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    prefix = `k-${Math.random().toString(36).slice(2, 8)}`;
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    storage.registry.register(minioDriverDefinition, { name: 'cold' });
    for (const [name, bucket] of [
      ['minio', hot],
      ['cold', cold],
    ] as const) {
      await storage.registry.saveSettings(name, settings(bucket.name, prefix));
      await storage.registry.enable(name);
    }
  });
  afterEach(async () => {
    await ws.remove();
  });

  function settings(bucket: string, keyPrefix: string) {
    return {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix,
    };
  }

  /** Offloads `count` results with a variant each to the hot bucket, then moves them to the cold one, keeping the source. */
  async function migratedKeepingSource(count: number, options: { deleteLocal?: boolean } = {}) {
    await storage.registry.setDefault('minio');
    const made: Array<{ path: string; location: string }> = [];
    for (let i = 0; i < count; i++) {
      const path = `lib/${i}.png`;
      await ws.addResult(path, 1000 + i);
      await ws.addResult(`lib/${i}-t.webp`, 100 + i);
      const outcome = await storage.offload(
        { path, variants: { t: `lib/${i}-t.webp` } },
        { deleteLocal: options.deleteLocal ?? true },
      );
      expect(outcome.status).toBe('offloaded');
      made.push({ path, location: outcome.location });
    }
    const report = await storage.migrate({ from: 'minio', to: 'cold' });
    expect(report.results).toEqual({ done: count, failed: 0, total: count });
    return made;
  }

  async function keys(bucket: typeof hot): Promise<string[]> {
    return (await bucket.view(`${prefix}/`)).objects.map((object) => object.key).sort();
  }

  it('keeps the source copies on the record, and delete() removes them with the rest: both buckets empty', async () => {
    const made = await migratedKeepingSource(2);
    expect(await keys(hot)).toHaveLength(4);
    expect(await keys(cold)).toHaveLength(4);
    const record = await storage.catalog?.findByPath('lib/0.png');
    expect(record).toMatchObject({
      targetId: 'cold.1',
      keptCopies: [{ targetId: 'minio.1', keys: ['lib/0.png', 'lib/0-t.webp'] }],
    });
    for (const { location } of made) await storage.delete(location);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
    await expect(storage.read(made[0]?.location as string)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('migrated with deleteSource, keeps nothing', async () => {
    await storage.registry.setDefault('minio');
    await ws.addResult('one.png', 500);
    await storage.offload({ path: 'one.png' }, { deleteLocal: true });
    await storage.migrate({ from: 'minio', to: 'cold', deleteSource: true });
    expect((await storage.catalog?.findByPath('one.png'))?.keptCopies).toEqual([]);
    expect(await keys(hot)).toEqual([]);
  });

  it('a move back onto the kept copy serves from it again and stops keeping it', async () => {
    await migratedKeepingSource(1);
    const report = await storage.migrate({ from: 'cold', to: 'minio' });
    expect(report.results.done).toBe(1);
    expect(await storage.catalog?.findByPath('lib/0.png')).toMatchObject({
      targetId: 'minio.1',
      keptCopies: [{ targetId: 'cold.1', keys: ['lib/0.png', 'lib/0-t.webp'] }],
    });
    await storage.delete(`minio:lib/0.png`);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });

  it('reconcile of the source target with fix deletes none of the kept copies and reports no orphan', async () => {
    await migratedKeepingSource(2);
    const report = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(report.orphans.count).toBe(0);
    expect(report.fixes?.orphansDeleted).toBe(0);
    expect(report.keptCopies).toEqual({ recorded: 4, missing: { count: 0, bytes: 0, sample: [] } });
    expect(await keys(hot)).toHaveLength(4);
  });

  it('reports a kept copy removed behind its back, forgets it with fix, and delete() then removes the rest', async () => {
    const made = await migratedKeepingSource(1);
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    try {
      await client.send(new DeleteObjectCommand({ Bucket: hot.name, Key: `${prefix}/lib/0-t.webp` }));
    } finally {
      client.destroy();
    }
    const found = await storage.reconcile({ target: 'minio.1' });
    expect(found.keptCopies.missing).toMatchObject({
      count: 1,
      sample: [{ key: 'lib/0-t.webp', path: 'lib/0.png' }],
    });
    expect(found.orphans.count).toBe(0);
    const fixed = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(fixed.fixes).toMatchObject({ keptCopiesForgotten: 1, requeued: 0, orphansDeleted: 0 });
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([
      { targetId: 'minio.1', keys: ['lib/0.png'] },
    ]);
    expect((await storage.reconcile({ target: 'minio.1' })).keptCopies.missing.count).toBe(0);
    await storage.delete(made[0]?.location as string);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });

  it('leaves a kept variant that another result has since adopted (a content-addressed key) to that result', async () => {
    await storage.registry.saveSettings('minio', {
      ...settings(hot.name, prefix),
      keyTemplate: 'media/{sha256}.{extName}',
    });
    await storage.registry.setDefault('minio');
    // Two results whose thumbnails are the very same bytes: the second adopts the first's object.
    const thumb = Buffer.from('the very same thumbnail bytes');
    for (const name of ['a', 'b']) {
      await writeFile(join(ws.resultsRoot, `${name}.png`), `original ${name}`);
      await writeFile(join(ws.resultsRoot, `${name}-t.webp`), thumb);
    }
    const first = await storage.offload({ path: 'a.png', variants: { t: 'a-t.webp' } }, { deleteLocal: true });
    await storage.migrate({ from: 'minio', to: 'cold' });
    const second = await storage.offload({ path: 'b.png', variants: { t: 'b-t.webp' } }, { deleteLocal: true });
    expect(second).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    const adopted = (await storage.catalog?.findByPath('b.png'))?.files[1]?.key;
    expect((await storage.catalog?.findByPath('a.png'))?.keptCopies[0]?.keys[1]).toBe(adopted);
    await storage.delete(first.location);
    expect(await streamToBuffer(await storage.read(second.location, { variant: 't' }))).toEqual(thumb);
    await storage.delete(second.location);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });

  it('refuses to forget a target that holds kept copies, naming how many results keep them', async () => {
    const made = await migratedKeepingSource(3);
    // A new key prefix makes minio.1 an old target, which removeTarget may forget once it holds nothing.
    await storage.registry.saveSettings('minio', settings(hot.name, `${prefix}-new`));
    expect(await storage.targets('minio')).toEqual([
      expect.objectContaining({ id: 'minio.1', results: 0, keptCopies: 3 }),
      expect.objectContaining({ id: 'minio.2', results: 0, keptCopies: 0 }),
    ]);
    const refused = storage.removeTarget('minio.1');
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
    await expect(refused).rejects.toThrow(/copies that 3 results keep \(6 objects/);
    expect(storage.registry.targets.targetsOf('minio')).toContain('minio.1');
    await storage.removeTarget('minio.1', { forgetResults: true });
    expect(storage.registry.targets.targetsOf('minio')).not.toContain('minio.1');
    // Their results can still be deleted: the copies they kept there stay in the bucket, unknown to Stowage.
    for (const { location } of made) await storage.delete(location);
    expect(await keys(cold)).toEqual([]);
    expect(await keys(hot)).toHaveLength(6);
  });

  it('a changed file offloaded again leaves no stale kept copy: the old bytes are removed, the record keeps none', async () => {
    await migratedKeepingSource(1, { deleteLocal: false });
    await storage.registry.setDefault('cold');
    const newSha = await ws.addResult('lib/0.png', 3333);
    const outcome = await storage.offload({ path: 'lib/0.png', variants: { t: 'lib/0-t.webp' } });
    expect(outcome).toMatchObject({ status: 'offloaded', target: 'cold.1' });
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(newSha);
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([]);
    expect(await keys(hot)).toEqual([]);
  });

  it('a changed file offloaded again onto the target that kept its copy replaces it there and keeps none', async () => {
    await migratedKeepingSource(1, { deleteLocal: false });
    const newSha = await ws.addResult('lib/0.png', 3333);
    const outcome = await storage.offload({ path: 'lib/0.png', variants: { t: 'lib/0-t.webp' } });
    expect(outcome).toMatchObject({ status: 'offloaded', target: 'minio.1' });
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(newSha);
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([]);
    await storage.delete(outcome.location);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });
});
