/**
 * delete() of a result whose last upload died with its process: killed
 * (SIGKILL) after MinIO stored the object and before the outcome's commit, so
 * the bucket holds an object the record only names in its abandoned intent.
 * Deleting the result must remove that object too (it may be public), whether
 * the dead process ran on this host (its death is seen at once) or on another
 * (its lease runs out), and also in a storage that already ran its first
 * recovery before the upload died. While the backend cannot say what the dead
 * upload left (toxiproxy cuts it), delete() refuses and changes nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Logger, type Storage } from '../packages/storage-core/src/index.js';
import { createS3Proxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/stalled-upload-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
const LEASE_MS = 1000;
const toxiproxy = await fileToxiproxy();

describe('delete() after an upload died with its process', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'delete-abandoned');
  let ws: Workspace;
  let prefix: string;

  beforeAll(() => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
  });
  beforeEach(async () => {
    ws = await createWorkspace();
    prefix = `d-${Math.random().toString(36).slice(2, 8)}`;
    await configure(s3.endpoint);
  });
  afterEach(async () => {
    await ws.remove();
  });

  async function configure(endpoint: string, overrides: Record<string, unknown> = {}): Promise<void> {
    const storage = await open();
    await storage.registry.saveSettings('archive', {
      endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: prefix,
      ...overrides,
    });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await storage.close();
  }

  async function open(logger?: Logger): Promise<Storage> {
    const storage = await ws.open({ leaseMs: LEASE_MS, ...(logger ? { logger } : {}) });
    storage.registry.register(minioDriverDefinition, { name: 'archive' });
    return storage;
  }

  /** Runs the child on `path` and kills it once MinIO has stored the object. */
  async function dieAfterStoring(path: string, hostId?: string): Promise<void> {
    const config = JSON.stringify({
      resultsRoot: ws.resultsRoot,
      settingsFile: ws.settingsFile,
      appKey: TEST_APP_KEY,
      backend: 'archive',
      leaseMs: LEASE_MS,
      path,
      ...(hostId ? { hostId } : {}),
    });
    const child = spawn(process.execPath, [CHILD, config], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk) => {
        out += String(chunk);
        if (out.includes('stored\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before storing the object`)));
    });
    child.kill('SIGKILL');
    await exited;
  }

  async function objects(): Promise<string[]> {
    return (await bucket.view(`${prefix}/`)).objects.map((object) => object.key);
  }

  async function expectDeletedEverywhere(storage: Storage, path: string): Promise<void> {
    await storage.delete(`local:${path}`);
    expect(await objects()).toEqual([]);
    expect(existsSync(join(ws.resultsRoot, path))).toBe(false);
    expect(await storage.catalog?.findByPath(path)).toBeUndefined();
    await expect(storage.read(`local:${path}`)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  }

  it('removes the object a process of this host stored before it was killed', async () => {
    await ws.addResult('gallery/one.png', 4096);
    await dieAfterStoring('gallery/one.png');
    expect(await objects()).toEqual([`${prefix}/gallery/one.png`]);
    const storage = await open();
    await expectDeletedEverywhere(storage, 'gallery/one.png');
  });

  it('removes it once the lease of a process on another host ran out, in a storage that had recovered already', async () => {
    const storage = await open();
    // This storage runs its first recovery now, before the other host's upload dies.
    await ws.addResult('warm-up.png', 100);
    expect((await storage.offload({ path: 'warm-up.png' })).status).toBe('offloaded');
    await storage.delete('archive:warm-up.png');
    await ws.addResult('gallery/two.png', 4096);
    await dieAfterStoring('gallery/two.png', 'another-host');
    expect(await objects()).toEqual([`${prefix}/gallery/two.png`]);
    // While the other host's lease runs, the result is busy; once it ran out, delete() settles the dead upload first.
    await expect(storage.delete('local:gallery/two.png')).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
    });
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
    await expectDeletedEverywhere(storage, 'gallery/two.png');
  });

  it('refuses while the backend cannot say what the dead upload left, changing nothing, and deletes it all after', async () => {
    const proxied = await createS3Proxy(toxiproxy, s3);
    try {
      await configure(proxied.info.endpoint, { retries: 0, connectionTimeoutMs: 500, requestTimeoutMs: 1500 });
      await ws.addResult('gallery/three.png', 4096);
      await dieAfterStoring('gallery/three.png');
      await proxied.proxy.disable();
      const warnings: string[] = [];
      const storage = await open({ info: () => undefined, warn: (_facts, msg) => warnings.push(msg), error: () => {} });
      await expect(storage.delete('local:gallery/three.png')).rejects.toMatchObject({
        code: ErrorCode.Unavailable,
        message:
          '"gallery/three.png": an upload that died holding it could not be settled yet (recovery could not reach its backend); nothing was deleted: delete it again later',
      });
      // The storage's first recovery ran inside this delete(): it is not run a second time, to time out again.
      expect(warnings.filter((msg) => msg === 'recovery could not resolve an abandoned intent yet')).toHaveLength(1);
      expect(await objects()).toEqual([`${prefix}/gallery/three.png`]);
      expect(existsSync(join(ws.resultsRoot, 'gallery/three.png'))).toBe(true);
      expect(await storage.catalog?.findByPath('gallery/three.png')).toMatchObject({ state: 'pending' });
      await proxied.proxy.enable();
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
      await expectDeletedEverywhere(storage, 'gallery/three.png');
    } finally {
      await proxied.proxy.delete();
    }
  });
});
