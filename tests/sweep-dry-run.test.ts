/**
 * `storage.sweep({ dryRun: true })`: the targets a sweep would take, chosen
 * and opened as the sweep does, and nothing aborted; a name or option the
 * sweep refuses is refused the same way. A real MinIO with an upload left open.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Storage } from '../packages/storage-core/src/index.js';
import { createWorkspace, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

describe('storage.sweep dry run', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'sweep-dry');
  let ws: Workspace;
  let storage: Storage;
  let prefix: string;

  beforeEach(async () => {
    prefix = `sd-${Math.random().toString(36).slice(2, 8)}`;
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: prefix,
    });
    await storage.registry.enable('minio');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('names the targets a sweep would take and aborts nothing', async () => {
    await bucket.leaveUploadOpen(`${prefix}/left/open.bin`, new Uint8Array(16));
    const nothingAborted = { targets: [{ target: 'minio.1', aborted: 0, failed: 0 }], aborted: 0, failed: 0 };
    expect(await storage.sweep({ dryRun: true, olderThanMs: 0 })).toEqual(nothingAborted);
    expect(await storage.sweep({ dryRun: true, olderThanMs: 0, target: 'minio' })).toEqual(nothingAborted);
    expect((await bucket.view(`${prefix}/`)).openUploads).toHaveLength(1);
    expect(await storage.sweep({ olderThanMs: 0, target: 'minio' })).toMatchObject({ aborted: 1 });
    expect((await bucket.view(`${prefix}/`)).openUploads).toEqual([]);
  });

  it('refuses what the sweep refuses, in the same words', async () => {
    for (const options of [{ target: 'minoi' }, { target: 'minio.7' }, { target: '' }, { olderThanMs: -1 }]) {
      const real = await storage.sweep(options).then(
        () => undefined,
        (error: Error & { code: string }) => ({ code: error.code, message: error.message }),
      );
      expect(real).toBeDefined();
      await expect(storage.sweep({ ...options, dryRun: true })).rejects.toMatchObject(real as object);
    }
    await expect(storage.sweep({ target: 'minoi', dryRun: true })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'sweep: "minoi" is neither a provider nor a target',
    });
    // A target id the provider does not have is bad input too, naming the ones it has; reconcile and migrate alike.
    const neverHad = {
      code: ErrorCode.InvalidInput,
      message: expect.stringContaining('"minio.7" is not one of provider "minio"\'s targets (its targets: minio.1)'),
    };
    await expect(storage.sweep({ target: 'minio.7' })).rejects.toMatchObject(neverHad);
    await expect(storage.reconcile({ target: 'minio.7' })).rejects.toMatchObject(neverHad);
    await expect(storage.migrate({ from: 'minio.7', to: 'local' })).rejects.toMatchObject(neverHad);
    await expect(storage.sweep({ dryRun: 'yes' } as never)).rejects.toThrow(/^sweep: dryRun: must be true or false$/);
  });
});
