import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretCipher, ErrorCode, JsonFileSettingsStore, type StoredProviderEntry } from '../src/index.js';

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
    expect(await new JsonFileSettingsStore(file).load()).toEqual({ defaultBackend: undefined, providers: {} });
  });

  it('persists entries and the default across instances (restarts)', async () => {
    const first = new JsonFileSettingsStore(file);
    await first.saveEntry(entry('r2', { enabled: true }));
    await first.saveEntry(entry('minio'));
    await first.saveDefault('r2');
    await first.removeEntry('minio');

    const reopened = await new JsonFileSettingsStore(file).load();
    expect(reopened.defaultBackend).toBe('r2');
    expect(Object.keys(reopened.providers)).toEqual(['r2']);
    expect(reopened.providers.r2).toMatchObject({ enabled: true, settings: { bucket: 'r2-bucket' } });
    expect(cipher.decrypt('r2', 'secretAccessKey', reopened.providers.r2?.secrets.secretAccessKey)).toBe(
      'plain-secret',
    );
  });

  it('keeps the entry MAC exactly as given, so the registry can check it', async () => {
    await new JsonFileSettingsStore(file).saveEntry(entry('r2', { mac: 'c2lnbmF0dXJl' }));
    await new JsonFileSettingsStore(file).saveEntry(entry('minio'));
    const reopened = await new JsonFileSettingsStore(file).load();
    expect(reopened.providers.r2?.mac).toBe('c2lnbmF0dXJl');
    expect(reopened.providers.minio).not.toHaveProperty('mac');
  });

  it('never writes a secret in the clear and keeps the file private (0600)', async () => {
    await new JsonFileSettingsStore(file).saveEntry(entry('r2'));
    expect(await readFile(file, 'utf8')).not.toContain('plain-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('serializes concurrent changes without losing any and leaves no temp files', async () => {
    const store = new JsonFileSettingsStore(file);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.saveEntry(entry(`p${i}`))));
    expect(Object.keys((await store.load()).providers)).toHaveLength(20);
    expect((await readdir(join(dir, 'nested'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a corrupt file as MISCONFIGURED instead of starting empty', async () => {
    const store = new JsonFileSettingsStore(file);
    await store.saveEntry(entry('r2'));
    await writeFile(file, '{"version":1,"providers":{"r2":');
    await expect(store.load()).rejects.toMatchObject({ code: ErrorCode.Misconfigured, message: /not valid JSON/ });
  });

  it('names every malformed part of a hand-edited file', async () => {
    await writeFile(
      file.replace('nested/', ''),
      JSON.stringify({
        version: 2,
        providers: { r2: { name: 'r2', settings: {}, secrets: { secretAccessKey: 'plain' } } },
      }),
    );
    await expect(new JsonFileSettingsStore(file.replace('nested/', '')).load()).rejects.toThrow(
      /version must be 1; providers\.r2\.secrets\.secretAccessKey: not an encrypted value/,
    );
  });
});
