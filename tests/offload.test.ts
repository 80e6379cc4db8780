import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AnyDriverDefinition,
  ErrorCode,
  type OffloadOutcome,
  SqliteCatalog,
  type StorageDriver,
  type StorageEventMap,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { createWorkspace, fileSha256, localDefinition, type Workspace, withOverrides } from './support/fixture.js';

/**
 * A local root whose disk flips one byte of every file right after it is
 * written: same size, wrong content, so only a check of the bytes can catch it.
 */
function bitRotDefinition(): AnyDriverDefinition {
  return {
    ...localDefinition,
    name: 'bitrot',
    create(settings: { root: string }) {
      const driver = localDefinition.create(settings) as StorageDriver;
      const write: StorageDriver['write'] = async (key, body, options) => {
        const result = await driver.write(key, body, options);
        const handle = await open(join(settings.root, key), 'r+');
        try {
          const byte = Buffer.alloc(1);
          await handle.read(byte, 0, 1, 100);
          byte[0] = (byte[0] ?? 0) ^ 0xff;
          await handle.write(byte, 0, 1, 100);
        } finally {
          await handle.close();
        }
        return result;
      };
      return withOverrides(driver, { write });
    },
  };
}

/**
 * A real local root fed through a slow link: the file is streamed to the
 * driver in 16 KiB chunks, one every `delayMs`, so a timeout or an abort lands
 * mid-transfer and the driver's own abort handling runs.
 */
function slowLinkDefinition(resultsRoot: string, delayMs: number): AnyDriverDefinition {
  return {
    ...localDefinition,
    name: 'slowlink',
    create(settings: { root: string }) {
      const driver = localDefinition.create(settings) as StorageDriver;
      const write: StorageDriver['write'] = async (key, _body, options) => {
        const throttle = new Transform({
          transform(chunk, _encoding, done) {
            setTimeout(() => done(null, chunk), delayMs);
          },
        });
        const source = createReadStream(join(resultsRoot, key), { highWaterMark: 16 * 1024 });
        source.on('error', (error) => throttle.destroy(error));
        return driver.write(key, source.pipe(throttle), options);
      };
      return withOverrides(driver, { write });
    },
  };
}

/** Every file under `root`, recursively (staging files included), as relative paths. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

/**
 * A local root whose disk loses the tail of every file right after it is
 * written: real bytes really go missing, so verification has something real to catch.
 */
function lossyDiskDefinition(): AnyDriverDefinition {
  return {
    ...localDefinition,
    name: 'lossy',
    create(settings: { root: string }) {
      const driver = localDefinition.create(settings) as StorageDriver;
      const write: StorageDriver['write'] = async (key, body, options) => {
        const result = await driver.write(key, body, options);
        await truncate(join(settings.root, key), Math.max(0, result.size - 7));
        return result;
      };
      return withOverrides(driver, { write });
    },
  };
}

describe('storage.offload', () => {
  let ws: Workspace;
  let archiveRoot: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  async function openToArchive(options: { deleteLocal?: boolean } & Parameters<Workspace['open']>[0] = {}) {
    const { deleteLocal = false, ...rest } = options;
    const storage = await ws.open(rest);
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', {
      root: archiveRoot,
      publicBaseUrl: 'https://cdn.example/media',
      deleteLocal,
    });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    return storage;
  }

  it('leaves results where they are when local disk is the default', async () => {
    const storage = await ws.open();
    const sha = await ws.addResult('images/gemini/a.png');
    const outcome = await storage.offload({ path: 'images/gemini/a.png' });
    expect(outcome).toMatchObject({
      status: 'local',
      backend: 'local',
      location: 'local:images/gemini/a.png',
      localDeleted: false,
      error: undefined,
      size: 4096,
    });
    expect(await fileSha256(join(ws.resultsRoot, 'images/gemini/a.png'))).toBe(sha);
  });

  it('stores the result under the same key, verified, with its SHA-256 in metadata and a URL', async () => {
    const storage = await openToArchive();
    const sha = await ws.addResult('images/gemini/uuid.png', 300_000);
    const outcome = await storage.offload({ path: 'images/gemini/uuid.png', metadata: { model: 'gemini' } });
    expect(outcome).toMatchObject({
      status: 'offloaded',
      backend: 'archive',
      key: 'images/gemini/uuid.png',
      location: 'archive:images/gemini/uuid.png',
      url: 'https://cdn.example/media/images/gemini/uuid.png',
      urlKind: 'public',
      size: 300_000,
      sha256: sha,
      localDeleted: false,
      error: undefined,
    });
    expect(await fileSha256(join(archiveRoot, 'images/gemini/uuid.png'))).toBe(sha);
    const stat = await storage.stat(outcome.location);
    expect(stat.metadata).toMatchObject({ sha256: sha, model: 'gemini' });
    expect(stat.contentType).toBe('image/png');
    // delete-local is off: the local copy stays.
    expect(await fileSha256(join(ws.resultsRoot, 'images/gemini/uuid.png'))).toBe(sha);
  });

  it('runs onStored after verification and before deleting the local copy', async () => {
    const storage = await openToArchive({ deleteLocal: true });
    const sha = await ws.addResult('a/b.webp');
    const seen: Array<{ location: string; localStillThere: boolean; remote: string | undefined }> = [];
    const outcome = await storage.offload(
      { path: 'a/b.webp' },
      {
        async onStored(stored) {
          seen.push({
            location: stored.location,
            localStillThere: (await fileSha256(join(ws.resultsRoot, 'a/b.webp'))) === sha,
            remote: await fileSha256(join(archiveRoot, 'a/b.webp')),
          });
        },
      },
    );
    expect(seen).toEqual([{ location: 'archive:a/b.webp', localStillThere: true, remote: sha }]);
    expect(outcome).toMatchObject({ status: 'offloaded', localDeleted: true });
    expect(await fileSha256(join(ws.resultsRoot, 'a/b.webp'))).toBeUndefined();
    expect(await streamToBuffer(await storage.read(outcome.location))).toHaveLength(4096);
  });

  it('keeps the local copy and reports stage "record" when onStored fails', async () => {
    const storage = await openToArchive({ deleteLocal: true });
    const sha = await ws.addResult('c.png');
    const outcome = await storage.offload(
      { path: 'c.png' },
      {
        onStored() {
          throw new Error('database is read-only');
        },
      },
    );
    expect(outcome).toMatchObject({
      status: 'local',
      location: 'local:c.png',
      failedStage: 'record',
      localDeleted: false,
    });
    expect(outcome.error?.message).toMatch(/recording the location of "c.png" failed.*database is read-only/);
    expect(await fileSha256(join(ws.resultsRoot, 'c.png'))).toBe(sha);
  });

  it('keeps the local copy and removes the remote one when verification finds missing bytes', async () => {
    const storage = await ws.open();
    storage.registry.register(lossyDiskDefinition());
    await storage.registry.saveSettings('lossy', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('lossy');
    await storage.registry.setDefault('lossy');
    const sha = await ws.addResult('lost.bin', 10_000);

    const outcome = await storage.offload({ path: 'lost.bin' });
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'verify', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.ChecksumMismatch);
    expect(outcome.error?.message).toMatch(/9993 bytes, the file has 10000/);
    expect(await fileSha256(join(ws.resultsRoot, 'lost.bin'))).toBe(sha);
    expect(await fileSha256(join(archiveRoot, 'lost.bin'))).toBeUndefined();
  });

  it('reads the object back when the driver checked no checksum, and refuses bytes that differ', async () => {
    const storage = await ws.open();
    storage.registry.register(bitRotDefinition());
    await storage.registry.saveSettings('bitrot', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('bitrot');
    await storage.registry.setDefault('bitrot');
    const sha = await ws.addResult('rotten.bin', 10_000);

    const outcome = await storage.offload({ path: 'rotten.bin' });
    expect(outcome).toMatchObject({ status: 'local', location: 'local:rotten.bin', failedStage: 'verify' });
    expect(outcome.localDeleted).toBe(false);
    expect(outcome.error?.code).toBe(ErrorCode.ChecksumMismatch);
    expect(outcome.error?.message).toMatch(/bytes read back from the backend have a different SHA-256/);
    expect(await fileSha256(join(ws.resultsRoot, 'rotten.bin'))).toBe(sha);
    expect(await fileSha256(join(archiveRoot, 'rotten.bin'))).toBeUndefined();
  });

  it('reports the offload upload timeout as TIMEOUT, keeps the result local and leaves nothing remote', async () => {
    const storage = await ws.open({ uploadTimeoutMs: 150 });
    storage.registry.register(slowLinkDefinition(ws.resultsRoot, 40));
    await storage.registry.saveSettings('slowlink', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('slowlink');
    await storage.registry.setDefault('slowlink');
    const sha = await ws.addResult('slow.mp4', 256 * 1024);

    const outcome = await storage.offload({ path: 'slow.mp4' });
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.Timeout);
    expect(outcome.error?.message).toMatch(/took longer than 150 ms/);
    expect(await fileSha256(join(ws.resultsRoot, 'slow.mp4'))).toBe(sha);
    await sleep(100);
    expect(await filesUnder(archiveRoot)).toEqual([]);
  });

  it('reports a caller abort as ABORTED, keeps the result local and leaves nothing remote', async () => {
    const storage = await ws.open();
    storage.registry.register(slowLinkDefinition(ws.resultsRoot, 40));
    await storage.registry.saveSettings('slowlink', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('slowlink');
    await storage.registry.setDefault('slowlink');
    const sha = await ws.addResult('cancelled.mp4', 256 * 1024);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 120);

    const outcome = await storage.offload({ path: 'cancelled.mp4' }, { signal: controller.signal });
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.Aborted);
    expect(await fileSha256(join(ws.resultsRoot, 'cancelled.mp4'))).toBe(sha);
    await sleep(100);
    expect(await filesUnder(archiveRoot)).toEqual([]);
  });

  it('refuses metadata and content types a backend would refuse, naming every problem, before any event', async () => {
    const storage = await openToArchive();
    const events: string[] = [];
    for (const name of ['offload:stored', 'offload:failed', 'offload:local-deleted'] as const) {
      storage.events.on(name, () => events.push(name));
    }
    await ws.addResult('bad.png');
    const attempt = storage.offload({
      path: 'bad.png',
      contentType: 'png',
      metadata: { Model: 'gemini', prompt: 'café', long: 'x'.repeat(2000) },
    });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).toMatch(/contentType: content type "png" must look like "type\/subtype"/);
    expect(message).toMatch(/metadata key "Model" must be lower-case letters, digits, "-" or "_"/);
    expect(message).toMatch(/metadata value of "prompt" must be printable ASCII text/);
    expect(message).toMatch(/metadata must be at most 2048 bytes in total.*"sha256" entry/);
    expect(events).toEqual([]);
    expect(await filesUnder(archiveRoot)).toEqual([]);

    const fine = await storage.offload({ path: 'bad.png', contentType: 'image/png; charset=binary' });
    expect(fine.status).toBe('offloaded');
  });

  it('offloadMany checks the whole batch before the first upload', async () => {
    const storage = await openToArchive();
    await ws.addResult('batch/ok.png');
    await ws.addResult('batch/bad.png');
    await expect(
      storage.offloadMany([{ path: 'batch/ok.png' }, { path: 'batch/bad.png', metadata: { 'x y': '1' } }]),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidInput, message: expect.stringContaining('"x y"') });
    await expect(storage.offloadMany([{ path: 'batch/ok.png' }, { path: 'batch/gone.png' }])).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    expect(await filesUnder(archiveRoot)).toEqual([]);
  });

  it('throws for bad input before any I/O, naming what is wrong', async () => {
    const storage = await openToArchive();
    await expect(storage.offload({ path: '../etc/passwd' })).rejects.toMatchObject({ code: ErrorCode.InvalidKey });
    await expect(storage.offload({ path: 'x.png', metadata: { n: 1 as unknown as string } })).rejects.toThrow(
      /metadata\.n: must be a string/,
    );
    await expect(storage.offload({ path: 'missing.png' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('refuses bad storage options naming each one', async () => {
    await expect(ws.open({ concurrency: 0, uploadTimeoutMs: -5, signedUrlExpiresIn: 1.5 })).rejects.toThrow(
      /concurrency: must be an integer of at least 1; uploadTimeoutMs: must be a positive number; signedUrlExpiresIn: must be a whole number/,
    );
  });

  it('never runs more uploads at once than the concurrency bound', async () => {
    const storage = await ws.open({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    storage.registry.register({
      ...localDefinition,
      name: 'counted',
      create(settings: { root: string }) {
        const driver = localDefinition.create(settings) as StorageDriver;
        const write: StorageDriver['write'] = async (...args) => {
          running += 1;
          peak = Math.max(peak, running);
          try {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return await driver.write(...args);
          } finally {
            running -= 1;
          }
        };
        return withOverrides(driver, { write });
      },
    });
    await storage.registry.saveSettings('counted', { root: archiveRoot });
    await storage.registry.enable('counted');
    await storage.registry.setDefault('counted');
    const paths = Array.from({ length: 12 }, (_, i) => `batch/${i}.png`);
    for (const path of paths) await ws.addResult(path, 1024);

    const outcomes = await storage.offloadMany(paths.map((path) => ({ path })));
    expect(outcomes.map((o) => o.status)).toEqual(paths.map(() => 'offloaded'));
    expect(outcomes.map((o) => o.key)).toEqual(paths);
    expect(peak).toBe(3);
  });

  /** A local root that reports each write's key when it begins and when it has stored the object. */
  function watchedDefinition(name: string, watch: { began: (key: string) => void; stored: (key: string) => void }) {
    return {
      ...localDefinition,
      name,
      create(settings: { root: string }) {
        const driver = localDefinition.create(settings) as StorageDriver;
        const write: StorageDriver['write'] = async (key, body, options) => {
          watch.began(key);
          const result = await driver.write(key, body, options);
          watch.stored(key);
          return result;
        };
        return withOverrides(driver, { write });
      },
    };
  }

  it('sends the next result while one waits for its intent to be recorded (the wait holds no upload slot)', async () => {
    const catalogFile = join(ws.dir, 'held-catalog.sqlite');
    let bStored!: () => void;
    const bStoredNow = new Promise<'b stored'>((resolve) => {
      bStored = () => resolve('b stored');
    });
    const heldWhile: string[] = [];
    // The real SQLite catalog, with the intent of "a" held back until "b" is stored (or 5 s).
    class HeldCatalog extends SqliteCatalog {
      override async insert(input: Parameters<SqliteCatalog['insert']>[0]) {
        if (input.path === 'held/a.png') heldWhile.push(await Promise.race([bStoredNow, sleep(5_000, 'timed out')]));
        return super.insert(input);
      }
    }
    const catalog = new HeldCatalog({ file: catalogFile });
    const storage = await ws.open({ concurrency: 1, catalog });
    storage.registry.register(
      watchedDefinition('watched', {
        began: () => undefined,
        stored: (key) => key === 'held/b.png' && bStored(),
      }),
    );
    await storage.registry.saveSettings('watched', { root: archiveRoot });
    await storage.registry.enable('watched');
    await storage.registry.setDefault('watched');
    await ws.addResult('held/a.png');
    await ws.addResult('held/b.png');

    const outcomes = await storage.offloadMany([{ path: 'held/a.png' }, { path: 'held/b.png' }]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['offloaded', 'offloaded']);
    expect(heldWhile).toEqual(['b stored']);
    await storage.close();
    await catalog.close();
  });

  it('keeps at most concurrency results sending and as many again recording or finishing', async () => {
    const storage = await ws.open({ concurrency: 1 });
    let sending = 0;
    let peakSending = 0;
    storage.registry.register(
      watchedDefinition('watched', {
        began: () => {
          sending += 1;
          peakSending = Math.max(peakSending, sending);
        },
        stored: () => {
          sending -= 1;
        },
      }),
    );
    await storage.registry.saveSettings('watched', { root: archiveRoot });
    await storage.registry.enable('watched');
    await storage.registry.setDefault('watched');
    const paths = ['finish/1.png', 'finish/2.png', 'finish/3.png', 'finish/4.png'];
    for (const path of paths) await ws.addResult(path);
    // Each onStored takes 300 ms, far longer than a send here: a result finishing frees its upload slot
    // for the next, and a third waits until one of the two in progress is done.
    let finishing = 0;
    let peakFinishing = 0;
    const outcomes = await storage.offloadMany(
      paths.map((path) => ({ path })),
      {
        async onStored() {
          finishing += 1;
          peakFinishing = Math.max(peakFinishing, finishing);
          await sleep(300);
          finishing -= 1;
        },
      },
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(paths.map(() => 'offloaded'));
    expect(peakFinishing).toBe(2);
    expect(peakSending).toBe(1);
  });

  it('close() waits for running offloads to finish', async () => {
    const storage = await ws.open();
    storage.registry.register({
      ...localDefinition,
      name: 'slow',
      create(settings: { root: string }) {
        const driver = localDefinition.create(settings) as StorageDriver;
        const write: StorageDriver['write'] = async (...args) => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          return driver.write(...args);
        };
        return withOverrides(driver, { write });
      },
    });
    await storage.registry.saveSettings('slow', { root: archiveRoot });
    await storage.registry.enable('slow');
    await storage.registry.setDefault('slow');
    await ws.addResult('late.png');
    const order: string[] = [];
    const offloaded = storage.offload({ path: 'late.png' }).then((outcome) => order.push(outcome.status));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await storage.close().then(() => order.push('closed'));
    await offloaded;
    expect(order).toEqual(['offloaded', 'closed']);
  });

  it('emits events that metrics can count', async () => {
    const storage = await openToArchive({ deleteLocal: true });
    const counts: Record<string, number> = {};
    for (const name of ['offload:stored', 'offload:failed', 'offload:local-deleted'] as const) {
      storage.events.on(name, () => {
        counts[name] = (counts[name] ?? 0) + 1;
      });
    }
    const failures: StorageEventMap['offload:failed'][0][] = [];
    storage.events.on('offload:failed', (event) => failures.push(event));
    await ws.addResult('ok-1.png');
    await ws.addResult('ok-2.png');
    await ws.addResult('fail.png');
    await storage.offload({ path: 'ok-1.png' });
    await storage.offload({ path: 'ok-2.png' });
    await storage.offload(
      { path: 'fail.png' },
      {
        onStored() {
          throw new Error('no db');
        },
      },
    );
    expect(counts).toEqual({ 'offload:stored': 2, 'offload:local-deleted': 2, 'offload:failed': 1 });
    expect(failures).toEqual([
      expect.objectContaining({ backend: 'archive', key: 'fail.png', stage: 'record', code: ErrorCode.Unknown }),
    ]);
  });

  it('a throwing event listener cannot break an offload', async () => {
    const storage = await openToArchive();
    storage.events.on('offload:stored', () => {
      throw new Error('metrics exploded');
    });
    await ws.addResult('safe.png');
    const outcome: OffloadOutcome = await storage.offload({ path: 'safe.png' });
    expect(outcome.status).toBe('offloaded');
  });

  it('logs through a pino logger without secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const secret = 'signing-secret-that-must-never-leak-0123456789';
    const storage = await ws.open({ logger });
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', {
      root: archiveRoot,
      signingSecret: secret,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await ws.addResult('logged.png');
    await storage.offload({ path: 'logged.png' });
    await ws.addResult('failed.png');
    await storage.offload(
      { path: 'failed.png' },
      {
        onStored() {
          throw new Error('db down');
        },
      },
    );
    // A second process with the wrong key: its fallback warning must not carry either key.
    const wrong = await ws.open({ logger, appKey: 'another-application-key-0123456789abcdef' });
    wrong.registry.register(localDefinition, { name: 'archive' });
    await wrong.offload({ path: 'failed.png' });

    const log = lines.join('');
    const records = lines.map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(records.map((r) => r.msg)).toEqual(
      expect.arrayContaining([
        'storage provider settings saved',
        'result offloaded and verified',
        'offload failed; the result stays on local disk',
        'default storage backend unusable; new results stay on local disk',
      ]),
    );
    expect(log).not.toContain(secret);
    expect(log).not.toContain('another-application-key');
    expect(log).not.toContain('test-app-key');
  });

  it('keeps serving from a disabled backend through the location', async () => {
    const storage = await openToArchive({ deleteLocal: true });
    const sha = await ws.addResult('kept.png');
    const outcome = await storage.offload({ path: 'kept.png' });
    await storage.registry.disable('archive');
    expect(await storage.url(outcome.location)).toMatchObject({
      kind: 'public',
      url: 'https://cdn.example/media/kept.png',
    });
    const bytes = await streamToBuffer(await storage.read(outcome.location));
    expect(createHashHex(bytes)).toBe(sha);
    await storage.delete(outcome.location);
    expect(await storage.exists(outcome.location)).toBe(false);
  });
});

function createHashHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
