/**
 * Reconcile's fix of a kept copy (a migration's source copy) whose objects
 * are partly gone. `KeptCopy.keys[i]` is the key of file i, and reconcile
 * sizes a gone kept key by that position: fix forgets a gone key only from the
 * end of the copy, so no key ever moves onto another file's position; a gone
 * key before one still there makes the whole copy forgotten, and what is left
 * of it is an orphan the next reconcile reports and removes, unless another
 * result serves it. Two MinIO buckets, looked at through a plain SDK client.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

describe('reconcile fix of a kept copy partly gone', () => {
  const s3 = inject('s3');
  const hot = bucketForSuite(s3, 'kept-rec-hot');
  const cold = bucketForSuite(s3, 'kept-rec-cold');
  let ws: Workspace;
  let storage: Storage;
  let prefix: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    prefix = `kr-${Math.random().toString(36).slice(2, 8)}`;
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    storage.registry.register(minioDriverDefinition, { name: 'cold' });
    for (const [name, bucket] of [
      ['minio', hot],
      ['cold', cold],
    ] as const) {
      await storage.registry.saveSettings(name, settings(bucket.name));
      await storage.registry.enable(name);
    }
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    await ws.remove();
  });

  function settings(bucket: string, extra: Record<string, unknown> = {}) {
    return {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: prefix,
      ...extra,
    };
  }

  /** Offloads lib/0.png (1000 bytes) with its variant t (100 bytes) to the hot bucket, then moves it to the cold one, keeping the source. */
  async function migratedKeepingSource(): Promise<string> {
    await ws.addResult('lib/0.png', 1000);
    await ws.addResult('lib/0-t.webp', 100);
    const outcome = await storage.offload(
      { path: 'lib/0.png', variants: { t: 'lib/0-t.webp' } },
      { deleteLocal: true },
    );
    expect(outcome.status).toBe('offloaded');
    expect((await storage.migrate({ from: 'minio', to: 'cold' })).results.done).toBe(1);
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([
      { targetId: 'minio.1', keys: ['lib/0.png', 'lib/0-t.webp'] },
    ]);
    return outcome.location;
  }

  async function removeBehindItsBack(key: string): Promise<void> {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    try {
      await client.send(new DeleteObjectCommand({ Bucket: hot.name, Key: `${prefix}/${key}` }));
    } finally {
      client.destroy();
    }
  }

  async function keys(bucket: typeof hot): Promise<string[]> {
    return (await bucket.view(`${prefix}/`)).objects.map((object) => object.key.slice(prefix.length + 1)).sort();
  }

  it('forgets the whole copy when its original is gone, so no variant key takes the original position; the next fix removes the variant left', async () => {
    const location = await migratedKeepingSource();
    await removeBehindItsBack('lib/0.png');
    const fixed = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(fixed.keptCopies.missing).toMatchObject({ count: 1, bytes: 1000, sample: [{ key: 'lib/0.png' }] });
    // The gone key and the variant's, forgotten with it.
    expect(fixed.fixes).toMatchObject({ keptCopiesForgotten: 2, requeued: 0, orphansDeleted: 0 });
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([]);

    const after = await storage.reconcile({ target: 'minio.1' });
    expect(after.keptCopies).toEqual({ recorded: 0, missing: { count: 0, bytes: 0, sample: [] } });
    expect(after.orphans).toMatchObject({ count: 1, bytes: 100, sample: [{ key: 'lib/0-t.webp', size: 100 }] });
    const cleaned = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(cleaned.fixes).toMatchObject({ orphansDeleted: 1, keptCopiesForgotten: 0 });
    expect(await keys(hot)).toEqual([]);

    // The result itself never depended on the kept copy.
    expect(await streamToBuffer(await storage.read(location, { variant: 't' }))).toHaveLength(100);
    await storage.delete(location);
    expect(await keys(cold)).toEqual([]);
  });

  it('never reports the variant left of a copy forgotten whole as a kept key missing with the original size', async () => {
    await migratedKeepingSource();
    await removeBehindItsBack('lib/0.png');
    await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    await removeBehindItsBack('lib/0-t.webp');
    const report = await storage.reconcile({ target: 'minio.1' });
    // Before, the variant's key had moved to keys[0] and was reported gone with the original's 1000 bytes.
    expect(report.keptCopies.missing).toEqual({ count: 0, bytes: 0, sample: [] });
    expect(report.orphans.count).toBe(0);
  });

  it('sizes each gone kept key by its own file: the variant gone first is dropped from the end, the original left keeps its position', async () => {
    const location = await migratedKeepingSource();
    await removeBehindItsBack('lib/0-t.webp');
    const first = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(first.keptCopies.missing).toMatchObject({ count: 1, bytes: 100, sample: [{ key: 'lib/0-t.webp' }] });
    expect(first.fixes).toMatchObject({ keptCopiesForgotten: 1 });
    expect((await storage.catalog?.findByPath('lib/0.png'))?.keptCopies).toEqual([
      { targetId: 'minio.1', keys: ['lib/0.png'] },
    ]);

    // Fix mode would refuse now (the target holds none of what is recorded there): the report says it.
    await removeBehindItsBack('lib/0.png');
    const second = await storage.reconcile({ target: 'minio.1' });
    expect(second.keptCopies.missing).toMatchObject({ count: 1, bytes: 1000, sample: [{ key: 'lib/0.png' }] });
    expect(second.orphans.count).toBe(0);
    await storage.delete(location);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });

  it('leaves what is left of a copy forgotten whole to another result serving it (a content-addressed key)', async () => {
    await storage.registry.saveSettings('minio', settings(hot.name, { keyTemplate: 'media/{sha256}.{extName}' }));
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
    const [keptOriginal, keptThumb] = (await storage.catalog?.findByPath('a.png'))?.keptCopies[0]?.keys ?? [];
    expect(keptThumb).toBe((await storage.catalog?.findByPath('b.png'))?.files[1]?.key);

    await removeBehindItsBack(keptOriginal as string);
    const fixed = await storage.reconcile({ target: 'minio.1', fix: true, graceMs: 0 });
    expect(fixed.fixes).toMatchObject({ keptCopiesForgotten: 2, orphansDeleted: 0 });
    expect(fixed.orphans.count).toBe(0);
    expect((await storage.catalog?.findByPath('a.png'))?.keptCopies).toEqual([]);
    const after = await storage.reconcile({ target: 'minio.1' });
    expect([after.orphans.count, after.missing.count, after.keptCopies.recorded]).toEqual([0, 0, 0]);
    await storage.delete(first.location);
    expect(await streamToBuffer(await storage.read(second.location, { variant: 't' }))).toEqual(thumb);
    await storage.delete(second.location);
    expect(await keys(hot)).toEqual([]);
    expect(await keys(cold)).toEqual([]);
  });
});
