import { fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSecretCipher,
  ErrorCode,
  JsonFileSettingsStore,
  type SettingsDocument,
  type StoredProviderEntry,
} from '../src/index.js';

const cipher = createSecretCipher('k3y-for-tests-0123456789abcdefghijklmnop');

function entry(name: string, overrides: Partial<StoredProviderEntry> = {}): StoredProviderEntry {
  return {
    name,
    enabled: false,
    deleteLocal: false,
    settings: { bucket: `${name}-bucket` },
    secrets: { secretAccessKey: cipher.encrypt(name, 'secretAccessKey', 'plain-secret') },
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

function document(revision: number, providers: StoredProviderEntry[], defaultBackend?: string): SettingsDocument {
  return { revision, defaultBackend, providers: Object.fromEntries(providers.map((p) => [p.name, p])) };
}

describe('JsonFileSettingsStore', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-settings-'));
    file = join(dir, 'nested', 'settings.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty when the file does not exist yet', async () => {
    expect(await new JsonFileSettingsStore(file).load()).toEqual({
      revision: 0,
      defaultBackend: undefined,
      providers: {},
    });
  });

  it('persists entries, the default and the revision across instances (restarts)', async () => {
    const first = new JsonFileSettingsStore(file);
    await first.save(document(1, [entry('r2', { enabled: true }), entry('minio')], 'r2'), 0);
    await first.save(document(2, [entry('r2', { enabled: true })], 'r2'), 1);

    const reopened = await new JsonFileSettingsStore(file).load();
    expect(reopened.revision).toBe(2);
    expect(reopened.defaultBackend).toBe('r2');
    expect(Object.keys(reopened.providers)).toEqual(['r2']);
    expect(reopened.providers.r2).toMatchObject({ enabled: true, settings: { bucket: 'r2-bucket' } });
    expect(cipher.decrypt('r2', 'secretAccessKey', reopened.providers.r2?.secrets.secretAccessKey)).toBe(
      'plain-secret',
    );
  });

  it('keeps the entry MAC, and top-level fields it does not know, exactly as given', async () => {
    const signed = { ...document(1, [entry('r2', { mac: 'c2lnbmF0dXJl' }), entry('minio')]), later: { a: 'b' } };
    await new JsonFileSettingsStore(file).save(signed as SettingsDocument, 0);
    const reopened = await new JsonFileSettingsStore(file).load();
    expect(reopened.providers.r2?.mac).toBe('c2lnbmF0dXJl');
    expect(reopened.providers.minio).not.toHaveProperty('mac');
    expect(reopened).toMatchObject({ later: { a: 'b' } });
  });

  it('never writes a secret in the clear and keeps the file private (0600)', async () => {
    await new JsonFileSettingsStore(file).save(document(1, [entry('r2')]), 0);
    expect(await readFile(file, 'utf8')).not.toContain('plain-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('lets exactly one of many saves over the same revision win, and leaves no temp or lock files', async () => {
    const store = new JsonFileSettingsStore(file);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.save(document(1, [entry(`p${i}`)]), 0)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const failed of results.filter((r) => r.status === 'rejected')) {
      expect((failed as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.PreconditionFailed });
    }
    expect(Object.keys((await store.load()).providers)).toHaveLength(1);
    expect(await readdir(join(dir, 'nested'))).toEqual(['settings.json']);
  });

  it('refuses a save over a revision another store instance (another process) already replaced', async () => {
    const web = new JsonFileSettingsStore(file);
    const admin = new JsonFileSettingsStore(file);
    await admin.save(document(1, [entry('r2')]), 0);
    const attempt = web.save(document(1, [entry('minio')]), 0);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
    await expect(attempt).rejects.toThrow(/changed elsewhere \(revision 1, this registry saw 0\).*reload/);
    expect(Object.keys((await web.load()).providers)).toEqual(['r2']);
  });

  it('never loses a change when processes save at the same time', async () => {
    const child = new URL('./fixtures/settings-writer.mjs', import.meta.url);
    const runs = await Promise.all(
      ['a', 'b', 'c'].map(
        (id) =>
          new Promise<{ saved: number; conflicts: number }>((resolve, reject) => {
            const proc = fork(child, [file, id, '15'], {
              stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
            });
            let out = '';
            proc.stdout?.on('data', (chunk) => {
              out += chunk;
            });
            proc.on('error', reject);
            proc.on('exit', (code) =>
              code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${id}: ${code}`)),
            );
          }),
      ),
    );
    const saved = runs.reduce((sum, run) => sum + run.saved, 0);
    expect(saved).toBe(45);
    const final = await new JsonFileSettingsStore(file).load();
    expect(final.revision).toBe(saved);
    expect(Object.keys(final.providers)).toHaveLength(saved);
    expect(await readdir(join(dir, 'nested'))).toEqual(['settings.json']);
  });

  it('breaks a lock left by a process that died, and waits for a live one before giving up', async () => {
    const store = new JsonFileSettingsStore(file, { lockTimeoutMs: 300 });
    await store.save(document(1, []), 0);
    const dead = fork(new URL('./fixtures/exit-now.mjs', import.meta.url));
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid as number)));
    const { hostname } = await import('node:os');
    await writeFile(`${file}.lock`, JSON.stringify({ host: hostname(), pid: deadPid, token: 'x' }));
    await store.save(document(2, []), 1);
    expect((await store.load()).revision).toBe(2);

    const live = fork(new URL('./fixtures/exit-now.mjs', import.meta.url), ['wait']);
    try {
      await writeFile(`${file}.lock`, JSON.stringify({ host: hostname(), pid: live.pid, token: 'y' }));
      await expect(store.save(document(3, []), 2)).rejects.toMatchObject({
        code: ErrorCode.Unavailable,
        message: expect.stringMatching(/another process is changing the settings/),
      });
      expect((await store.load()).revision).toBe(2);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('breaks a dead process’s lock at once only when it names this store’s hostId', async () => {
    const elsewhere = new JsonFileSettingsStore(file, { lockTimeoutMs: 300, hostId: 'box-2' });
    await elsewhere.save(document(1, []), 0);
    const dead = fork(new URL('./fixtures/exit-now.mjs', import.meta.url));
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid as number)));
    await writeFile(`${file}.lock`, JSON.stringify({ host: 'box-1', pid: deadPid, token: 'x' }));
    // box-2 cannot tell whether box-1's process runs: it waits, then gives up.
    await expect(elsewhere.save(document(2, []), 1)).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    const same = new JsonFileSettingsStore(file, { lockTimeoutMs: 300, hostId: 'box-1' });
    await same.save(document(2, []), 1);
    expect((await same.load()).revision).toBe(2);
    expect(() => new JsonFileSettingsStore(file, { hostId: '' })).toThrow(/hostId/);
  });

  it('reports a corrupt file as MISCONFIGURED instead of starting empty', async () => {
    const store = new JsonFileSettingsStore(file);
    await store.save(document(1, [entry('r2')]), 0);
    await writeFile(file, '{"version":2,"providers":{"r2":');
    await expect(store.load()).rejects.toMatchObject({ code: ErrorCode.Misconfigured, message: /not valid JSON/ });
  });

  it('names every malformed part of a hand-edited file', async () => {
    await writeFile(
      file.replace('nested/', ''),
      JSON.stringify({
        version: 3,
        providers: { r2: { name: 'r2', settings: {}, secrets: { secretAccessKey: 'plain' } } },
      }),
    );
    await expect(new JsonFileSettingsStore(file.replace('nested/', '')).load()).rejects.toThrow(
      /version must be 2 \(or 1, the format before revisions\); providers\.r2\.secrets\.secretAccessKey: not an encrypted value/,
    );
  });

  it('reads a version 1 file (before revisions) as revision 0', async () => {
    const old = { version: 1, defaultBackend: 'r2', providers: { r2: entry('r2') } };
    await writeFile(file.replace('nested/', ''), JSON.stringify(old));
    const loaded = await new JsonFileSettingsStore(file.replace('nested/', '')).load();
    expect(loaded).toMatchObject({ revision: 0, defaultBackend: 'r2', providers: { r2: { name: 'r2' } } });
  });
});
