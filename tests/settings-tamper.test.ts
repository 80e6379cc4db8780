/**
 * The settings file edited on disk as an attacker would, between runs: the
 * default choice changed, an older, genuinely signed entry copied back, the
 * signed list of entries or the revision edited. Each is detected, reported
 * (logged, in the views, as a 'backend:fallback' event) and new results stay
 * on local disk; nothing untrusted is ever signed again by a later save.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { type BackendFallbackEvent, ErrorCode, type Logger, type Storage } from '../packages/storage-core/src/index.js';
import { fileSha256, localDefinition, workspaceForEachTest } from './support/fixture.js';

const ws = workspaceForEachTest();
let archiveRoot: string;
let coldRoot: string;
beforeEach(async () => {
  archiveRoot = await ws.folder('archive');
  coldRoot = await ws.folder('cold');
});

interface Opened {
  storage: Storage;
  warnings: string[];
  fallbacks: BackendFallbackEvent[];
}

async function open(): Promise<Opened> {
  const warnings: string[] = [];
  const logger: Logger = { info: () => undefined, warn: (_o, msg) => warnings.push(msg), error: () => undefined };
  const storage = await ws.open({ logger });
  storage.registry.register(localDefinition, { name: 'archive' });
  storage.registry.register(localDefinition, { name: 'cold' });
  const fallbacks: BackendFallbackEvent[] = [];
  storage.events.on('backend:fallback', (event) => fallbacks.push(event));
  return { storage, warnings, fallbacks };
}

/** Both backends configured and enabled, archive the default. */
async function configured(): Promise<void> {
  const { storage } = await open();
  await storage.registry.saveSettings('archive', { root: archiveRoot });
  await storage.registry.saveSettings('cold', { root: coldRoot });
  await storage.registry.enable('archive');
  await storage.registry.enable('cold');
  await storage.registry.setDefault('archive');
  await storage.close();
}

/** The settings file as an attacker sees it. */
interface SettingsFile {
  revision: number;
  defaultBackend: string | null;
  providers: Record<string, { enabled: boolean } & Record<string, unknown>>;
  signature: Record<string, unknown>;
}

async function readSettings(): Promise<SettingsFile> {
  return JSON.parse(await readFile(ws.settingsFile, 'utf8'));
}

async function writeSettings(edited: unknown): Promise<void> {
  await writeFile(ws.settingsFile, JSON.stringify(edited, null, 2));
}

async function expectStaysLocal(storage: Storage, path: string, reason: RegExp): Promise<void> {
  const sha = await ws.addResult(path);
  const outcome = await storage.offload({ path });
  expect(outcome).toMatchObject({ status: 'local', location: `local:${path}`, failedStage: 'resolve' });
  expect(outcome.error?.code).toBe(ErrorCode.Misconfigured);
  expect(outcome.error?.message).toMatch(reason);
  expect(await fileSha256(join(ws.resultsRoot, path))).toBe(sha);
  expect(await fileSha256(join(archiveRoot, path))).toBeUndefined();
  expect(await fileSha256(join(coldRoot, path))).toBeUndefined();
}

describe('the default choice edited in the settings file', () => {
  it('is detected and reported, and new results go to local disk until it is chosen again', async () => {
    await configured();
    await writeSettings({ ...(await readSettings()), defaultBackend: 'cold' });

    const { storage, warnings, fallbacks } = await open();
    expect(warnings).toContain('default backend choice failed its integrity check');
    expect(storage.registry.defaultBackend).toBe('cold');
    await expectStaysLocal(storage, 'a.png', /default backend choice .*changed outside Stowage/);
    expect(fallbacks).toEqual([{ from: 'cold', to: 'local', reason: expect.stringMatching(/changed outside/) }]);
    expect(storage.registry.provider('cold').problems).toEqual([expect.stringMatching(/default backend choice/)]);
    // The entries themselves were not touched: they keep serving and can be chosen again.
    expect(storage.registry.provider('archive').problems).toEqual([]);
    await storage.registry.setDefault('cold');
    expect(storage.registry.active()).toMatchObject({ name: 'cold' });
    expect(storage.registry.active().fallback).toBeUndefined();
    expect(storage.registry.provider('cold').problems).toEqual([]);
  });

  it('is detected when the default is removed by hand too; the local view says so', async () => {
    await configured();
    await writeSettings({ ...(await readSettings()), defaultBackend: null });
    const { storage } = await open();
    expect(storage.registry.active().name).toBe('local');
    expect(storage.registry.provider('local').problems).toEqual([expect.stringMatching(/default backend choice/)]);
  });
});

describe('an older, genuinely signed entry copied back', () => {
  it('restoring a disabled provider (and the default naming it) is detected; nothing goes there', async () => {
    await configured();
    const before = await readSettings();
    const { storage: admin } = await open();
    await admin.registry.disable('archive');
    await admin.close();

    const after = await readSettings();
    expect(after.providers.archive?.enabled).toBe(false);
    await writeSettings({
      ...after,
      defaultBackend: 'archive',
      providers: { ...after.providers, archive: before.providers.archive },
    });

    const { storage, fallbacks } = await open();
    await expectStaysLocal(
      storage,
      'b.png',
      /"archive" cannot be trusted: they are not the version Stowage saved last/,
    );
    expect(fallbacks).toHaveLength(1);
    expect(storage.registry.provider('archive').problems).toEqual([
      expect.stringMatching(/not the version Stowage saved last/),
    ]);
    expect(() => storage.registry.driver('archive')).toThrow(/not the version Stowage saved last/);
    await expect(storage.registry.enable('archive')).rejects.toThrow(/not the version Stowage saved last/);
    expect(storage.registry.provider('cold').problems).toEqual([]);
  });

  it('old credentials copied back are detected, and a later save elsewhere never vouches for them', async () => {
    const oldSecret = 'old-signing-secret-that-was-replaced-0123456789';
    const newSecret = 'new-signing-secret-after-rotation-0123456789ab';
    const { storage: admin } = await open();
    const base = { root: archiveRoot, signedUrlBaseUrl: 'https://app.example/files' };
    await admin.registry.saveSettings('archive', { ...base, signingSecret: oldSecret });
    const withOld = await readSettings();
    await admin.registry.saveSettings('archive', { ...base, signingSecret: newSecret });
    await admin.close();

    const current = await readSettings();
    await writeSettings({ ...current, providers: { ...current.providers, archive: withOld.providers.archive } });
    const { storage } = await open();
    expect(storage.registry.provider('archive').problems).toEqual([
      expect.stringMatching(/not the version Stowage saved last/),
    ]);

    // Saving another provider writes a new signed document; the replayed entry stays unvouched.
    await storage.registry.saveSettings('cold', { root: coldRoot });
    await storage.close();
    const reopened = await open();
    expect(reopened.storage.registry.provider('archive').problems).toEqual([
      expect.stringMatching(/cannot be trusted/),
    ]);
    expect(reopened.storage.registry.provider('cold').problems).toEqual([]);
    // Saving it again (secrets entered again) makes it trusted.
    await reopened.storage.registry.saveSettings('archive', { ...base, signingSecret: newSecret });
    expect(reopened.storage.registry.provider('archive').problems).toEqual([]);
  });

  it('editing the signed list of entries, or the revision, leaves nothing trusted', async () => {
    await configured();
    const settings = await readSettings();
    await writeSettings({ ...settings, signature: { ...settings.signature, entries: { archive: 'AAAA' } } });
    const listEdited = await open();
    expect(listEdited.storage.registry.provider('cold').problems).toEqual([
      expect.stringMatching(/list of provider entries/),
    ]);
    await expectStaysLocal(listEdited.storage, 'c.png', /list of provider entries was changed/);
    await listEdited.storage.close();

    await writeSettings({ ...settings, revision: settings.revision + 5 });
    const revisionEdited = await open();
    expect(revisionEdited.storage.registry.provider('archive').problems).toEqual([
      expect.stringMatching(/cannot be trusted/),
    ]);
    expect(revisionEdited.storage.registry.active().fallback?.reason).toMatch(/cannot be trusted/);
  });
});
