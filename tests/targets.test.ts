/**
 * Locations pinned to the bytes: every location handed out keeps reading its
 * own bytes after the provider's root, bucket, key prefix or endpoint is
 * edited (between offloads and during one), after new settings that do not
 * work, and after a change of default; old places are listed with what they
 * hold, and cannot be removed while they hold results.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createS3Proxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, eventually, localDefinition, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();

async function readSha(storage: Storage, location: string): Promise<string> {
  return sha256(await streamToBuffer(await storage.read(location)));
}

describe('targets of a local root provider', () => {
  let ws: Workspace;
  let storage: Storage;

  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'nas' });
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('keeps every old location reading its own bytes after root edits, and lists each place with its results', async () => {
    const roots = [await ws.folder('nas-a'), await ws.folder('nas-b'), await ws.folder('nas-c')];
    const made: Array<{ location: string; sha: string }> = [];
    for (const [index, root] of roots.entries()) {
      await storage.registry.saveSettings('nas', { root, publicBaseUrl: `https://cdn${index}.example/m` });
      if (index === 0) {
        await storage.registry.enable('nas');
        await storage.registry.setDefault('nas');
      }
      for (let i = 0; i < 2; i++) {
        const path = `edit/${index}-${i}.png`;
        const sha = await ws.addResult(path, 1000 + index * 10 + i);
        const outcome = await storage.offload({ path }, { deleteLocal: true });
        expect(outcome).toMatchObject({ status: 'offloaded', target: `nas.${index + 1}`, localDeleted: true });
        made.push({ location: outcome.location, sha });
      }
    }
    for (const { location, sha } of made) expect(await readSha(storage, location)).toBe(sha);
    expect(await storage.targets('nas')).toEqual([
      expect.objectContaining({ id: 'nas.1', place: { root: roots[0] }, current: false, results: 2, bytes: 2001 }),
      expect.objectContaining({ id: 'nas.2', place: { root: roots[1] }, current: false, results: 2, bytes: 2021 }),
      expect.objectContaining({ id: 'nas.3', place: { root: roots[2] }, current: true, results: 2, bytes: 2041 }),
    ]);
  });

  it('lists no target of a provider with no settings saved, and refuses a name that is no provider, naming the known ones', async () => {
    expect(await storage.targets('nas')).toEqual([]);
    await expect(storage.targets('nsa')).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'targets: "nsa" is not a provider; known: local, nas',
    });
    await expect(storage.targets(42 as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'targets: the provider must be a name like "r2", got number',
    });
    // Settings kept for a provider this app no longer registers: its targets still hold results, so it is one.
    await storage.registry.saveSettings('nas', { root: await ws.folder('nas') });
    const without = await ws.open();
    expect((await without.targets('nas')).map((target) => target.id)).toEqual(['nas.1']);
  });

  it('updates the current target for a change that keeps the place (a new public URL), and serves the new URL', async () => {
    const root = await ws.folder('nas');
    await storage.registry.saveSettings('nas', { root, publicBaseUrl: 'https://old.example/m' });
    await storage.registry.enable('nas');
    await storage.registry.setDefault('nas');
    await ws.addResult('same/a.png');
    const outcome = await storage.offload({ path: 'same/a.png' });
    await storage.registry.saveSettings('nas', { root, publicBaseUrl: 'https://new.example/m' });
    expect(storage.registry.targets.targetsOf('nas')).toEqual(['nas.1']);
    expect(await storage.publicUrl(outcome.location)).toBe('https://new.example/m/same/a.png');
  });

  it('keeps a settings file from before targets serving, as its first target', async () => {
    const root = await ws.folder('legacy');
    await storage.registry.saveSettings('nas', { root });
    expect(storage.registry.targets.current('nas')).toBe('nas.1');
    expect(storage.registry.targets.isTarget('nas.1')).toBe(true);
    expect(storage.registry.targets.isTarget('nas')).toBe(false);
  });

  it('refuses to remove a target that still holds results unless they are forgotten, and never the current one', async () => {
    const [first, second] = [await ws.folder('r1'), await ws.folder('r2')];
    await storage.registry.saveSettings('nas', { root: first });
    await storage.registry.enable('nas');
    await storage.registry.setDefault('nas');
    await ws.addResult('keep/a.png');
    const outcome = await storage.offload({ path: 'keep/a.png' });
    await storage.registry.saveSettings('nas', { root: second });
    await expect(storage.removeTarget('nas.1')).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
      message: expect.stringMatching(/target "nas.1" .* still holds 1 results \(4096 bytes\); migrate them first/),
    });
    await expect(storage.removeTarget('nas.2', { forgetResults: true })).rejects.toThrow(
      /is where new results of "nas" go/,
    );
    expect(await readSha(storage, outcome.location)).toBe(outcome.sha256);
    await storage.removeTarget('nas.1', { forgetResults: true });
    expect(storage.registry.targets.targetsOf('nas')).toEqual(['nas.2']);
    await expect(storage.read(outcome.location)).rejects.toMatchObject({ code: ErrorCode.Misconfigured });
    // A forgotten result can still be deleted: its record goes, and the file the forgotten root holds stays there.
    await storage.delete(outcome.location);
    await expect(storage.read(outcome.location)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await storage.catalog?.findByPath('keep/a.png')).toBeUndefined();
    expect(existsSync(join(first, 'keep/a.png'))).toBe(true);
  });

  it('fails a location whose provider is no longer registered with MISCONFIGURED naming the provider', async () => {
    await storage.registry.saveSettings('nas', { root: await ws.folder('gone') });
    await storage.registry.enable('nas');
    await storage.registry.setDefault('nas');
    await ws.addResult('gone/a.png');
    const outcome = await storage.offload({ path: 'gone/a.png' });
    const without = await ws.open();
    await expect(without.read(outcome.location)).rejects.toMatchObject({
      code: ErrorCode.Misconfigured,
      message: 'no driver is registered as "nas"',
    });
  });

  /** Makes "nas" the default with a root that does not exist yet under `root`, and offloads `path`: it stays local, blocked. */
  async function blockOnMissingRoot(root: string, path: string): Promise<void> {
    await storage.registry.saveSettings('nas', { root: `${root}/not-there-yet` });
    await storage.registry.enable('nas');
    await storage.registry.setDefault('nas');
    await ws.addResult(path);
    expect((await storage.offload({ path })).error?.code).toBe(ErrorCode.BucketNotFound);
  }

  it('sends blocked results again by itself once the settings are fixed', async () => {
    const root = await ws.folder('fixed');
    await blockOnMissingRoot(root, 'blocked/a.png');
    expect((await storage.catalog?.findByPath('blocked/a.png'))?.state).toBe('blocked');
    storage.startWorker({ pollIntervalMs: 50 });
    await mkdir(`${root}/now-there`);
    await storage.registry.saveSettings('nas', { root: `${root}/now-there` });
    for (let i = 0; i < 100 && (await storage.catalog?.findByPath('blocked/a.png'))?.state !== 'offloaded'; i++) {
      await sleep(50);
    }
    expect(await storage.catalog?.findByPath('blocked/a.png')).toMatchObject({ state: 'offloaded', targetId: 'nas.2' });
  });

  it('sends blocked results again once another process fixed the settings and this one reloads them', async () => {
    const root = await ws.folder('fixed-elsewhere');
    await blockOnMissingRoot(root, 'blocked/b.png');
    // An admin's process (the CLI, another server) fixes the settings; it queues the blocked result again...
    const admin = await ws.open();
    admin.registry.register(localDefinition, { name: 'nas' });
    await mkdir(`${root}/now-there`);
    await admin.registry.saveSettings('nas', { root: `${root}/now-there` });
    // ...but this server, its settings not reloaded yet, blocks it once more.
    storage.startWorker({ pollIntervalMs: 50 });
    await eventually(
      async () => (await storage.catalog?.findByPath('blocked/b.png'))?.attempts === 2,
      5_000,
      'the stale settings blocked it again',
    );
    expect(await storage.catalog?.findByPath('blocked/b.png')).toMatchObject({ state: 'blocked', targetId: 'local' });
    await storage.registry.reload();
    await eventually(
      async () => (await storage.catalog?.findByPath('blocked/b.png'))?.state === 'offloaded',
      5_000,
      'sent after the reload',
    );
    expect(await storage.catalog?.findByPath('blocked/b.png')).toMatchObject({ targetId: 'nas.2', attempts: 0 });
    await storage.stopWorker();
  });
});

describe('targets of a MinIO provider', () => {
  const s3 = inject('s3');
  const bucketA = bucketForSuite(s3, 'targets-a');
  const bucketB = bucketForSuite(s3, 'targets-b');
  let ws: Workspace;
  let storage: Storage;
  const settings = (bucket: string, extra: Record<string, unknown> = {}) => ({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...extra,
  });

  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('keeps old locations reading their own bytes after bucket, key prefix and endpoint edits', async () => {
    const { proxy, info } = await createS3Proxy(toxiproxy, s3);
    try {
      const edits = [
        settings(bucketA.name),
        settings(bucketA.name, { keyPrefix: 'moved' }),
        settings(bucketB.name, { keyPrefix: 'moved' }),
        { ...settings(bucketB.name, { keyPrefix: 'moved' }), endpoint: info.endpoint },
      ];
      const made: Array<{ location: string; sha: string }> = [];
      for (const [index, edit] of edits.entries()) {
        await storage.registry.saveSettings('minio', { ...edit, deleteLocal: true });
        if (index === 0) {
          await storage.registry.enable('minio');
          await storage.registry.setDefault('minio');
        }
        // The same relative path each time: each edit's copy lives in its own place.
        const path = `same/${index}.png`;
        const sha = await ws.addResult(path, 3000 + index);
        const outcome = await storage.offload({ path });
        expect(outcome).toMatchObject({ status: 'offloaded', target: `minio.${index + 1}` });
        made.push({ location: outcome.location, sha });
      }
      for (const { location, sha } of made) expect(await readSha(storage, location)).toBe(sha);
      // A provider whose newest settings do not work keeps serving what its older targets hold.
      await storage.registry.saveSettings('minio', {
        ...settings(bucketA.name, { keyPrefix: 'elsewhere' }),
        secretAccessKey: 'wrong-secret-0123456789',
      });
      for (const { location, sha } of made) expect(await readSha(storage, location)).toBe(sha);
      expect((await storage.targets('minio')).map((target) => [target.id, target.results])).toEqual([
        ['minio.1', 1],
        ['minio.2', 1],
        ['minio.3', 1],
        ['minio.4', 1],
        ['minio.5', 0],
      ]);
    } finally {
      await proxy.delete();
    }
  });

  it('records the place an offload started with when the bucket is edited during the upload', async () => {
    const { proxy, info } = await createS3Proxy(toxiproxy, s3);
    try {
      await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 300 } });
      await storage.registry.saveSettings('minio', { ...settings(bucketA.name), endpoint: info.endpoint });
      await storage.registry.enable('minio');
      await storage.registry.setDefault('minio');
      const sha = await ws.addResult('during/a.png', 20_000);
      const running = storage.offload({ path: 'during/a.png' }, { deleteLocal: true });
      await sleep(100);
      await storage.registry.saveSettings('minio', { ...settings(bucketB.name), endpoint: info.endpoint });
      const outcome = await running;
      expect(outcome).toMatchObject({ status: 'offloaded', target: 'minio.1', localDeleted: true });
      expect(await readSha(storage, outcome.location)).toBe(sha);
      await ws.addResult('during/b.png');
      const next = await storage.offload({ path: 'during/b.png' });
      expect(next.target).toBe('minio.2');
    } finally {
      await proxy.delete();
    }
  });
});
