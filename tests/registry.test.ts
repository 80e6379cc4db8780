import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDriver } from '../packages/driver-local/src/index.js';
import {
  type BackendFallbackEvent,
  ConfigError,
  createStorage,
  ErrorCode,
  JsonFileSettingsStore,
  REDACTED,
  type ResultsDisk,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { createWorkspace, fileSha256, localDefinition, type Workspace } from './support/fixture.js';

const SIGNING_SECRET = 'signing-secret-that-must-never-leak-0123456789';

describe('backend registry', () => {
  let ws: Workspace;
  let archiveRoot: string;
  let coldRoot: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    coldRoot = await ws.folder('cold');
  });
  afterEach(async () => {
    await ws.remove();
  });

  async function openWithBackends(options: Parameters<Workspace['open']>[0] = {}) {
    const storage = await ws.open(options);
    storage.registry.register(localDefinition, { name: 'archive' });
    storage.registry.register(localDefinition, { name: 'cold' });
    return storage;
  }

  it('starts with local disk present, enabled and the default; other providers unconfigured', async () => {
    const storage = await openWithBackends();
    const views = storage.registry.providers();
    expect(views.map((v) => [v.name, v.configured, v.enabled, v.isDefault])).toEqual([
      ['local', true, true, true],
      ['archive', false, false, false],
      ['cold', false, false, false],
    ]);
    expect(storage.registry.active().name).toBe('local');
  });

  it('refuses to open without a results disk that names an absolute root', async () => {
    const store = new JsonFileSettingsStore(ws.settingsFile);
    const notADriver = { root: '/tmp' } as unknown as ResultsDisk;
    await expect(createStorage({ store, local: notADriver })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: expect.stringContaining('local must be the results disk driver'),
    });
    const relative = Object.assign(Object.create(createLocalDriver({ root: archiveRoot })), { root: 'results' });
    await expect(createStorage({ store, local: relative })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(readFile(ws.settingsFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses incomplete settings naming every bad field, and stores nothing', async () => {
    const storage = await openWithBackends();
    const attempt = storage.registry.saveSettings('archive', { root: 'relative/path', publicBaseUrl: 'ftp://x' });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCode.Misconfigured,
      problems: expect.arrayContaining([
        expect.stringMatching(/^root: must be an absolute path/),
        expect.stringMatching(/^publicBaseUrl: /),
      ]),
    });
    expect(storage.registry.provider('archive').configured).toBe(false);
    await expect(readFile(ws.settingsFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('enables a provider only with complete settings, and enabling does not make it the default', async () => {
    const storage = await openWithBackends();
    await expect(storage.registry.enable('archive')).rejects.toThrow(/no settings saved yet/);
    await expect(storage.registry.setDefault('archive')).rejects.toThrow(/enable it first/);

    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await expect(storage.registry.setDefault('archive')).rejects.toThrow(/enable it first/);
    const view = await storage.registry.enable('archive');
    expect(view).toMatchObject({ enabled: true, isDefault: false });
    expect(storage.registry.active().name).toBe('local');

    await storage.registry.setDefault('archive');
    expect(storage.registry.active().name).toBe('archive');
  });

  it('keeps local disk: it cannot be removed, disabled, reconfigured or registered again', async () => {
    const storage = await openWithBackends();
    await expect(storage.registry.disable('local')).rejects.toThrow(/cannot be disabled/);
    await expect(storage.registry.remove('local')).rejects.toThrow(/cannot be removed/);
    await expect(storage.registry.saveSettings('local', { root: archiveRoot })).rejects.toThrow(
      /configured by the app/,
    );
    expect(() => storage.registry.register(localDefinition)).toThrow(/reserved/);
    expect(() => storage.registry.register(localDefinition, { name: 'archive' })).toThrow(/already registered/);
  });

  it('encrypts secrets at rest, shows only whether they are set, and keeps a secret left blank', async () => {
    const storage = await openWithBackends();
    const signedUrlBaseUrl = 'https://app.example/files';
    await storage.registry.saveSettings('archive', {
      root: archiveRoot,
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl,
    });

    expect(await readFile(ws.settingsFile, 'utf8')).not.toContain(SIGNING_SECRET);
    const view = storage.registry.provider('archive');
    expect(view.secrets).toEqual({ signingSecret: { set: true } });
    expect(JSON.stringify(view)).not.toContain(SIGNING_SECRET);

    // The admin form sends the secret blank: the stored one is kept and still works.
    await storage.registry.saveSettings('archive', { root: archiveRoot, signingSecret: '', signedUrlBaseUrl });
    expect(storage.registry.provider('archive').secrets).toEqual({ signingSecret: { set: true } });
    const stored = JSON.parse(await readFile(ws.settingsFile, 'utf8'));
    expect(stored.providers.archive.secrets.signingSecret).toMatchObject({ v: 1, alg: 'aes-256-gcm' });
    expect(storage.registry.driver('archive').capabilities.presignedUrls).toBe(true);
  });

  it('persists the default, enabled flags and settings across restarts', async () => {
    const first = await openWithBackends();
    await first.registry.saveSettings('archive', { root: archiveRoot, deleteLocal: true });
    await first.registry.enable('archive');
    await first.registry.setDefault('archive');
    await first.close();

    const second = await openWithBackends();
    expect(second.registry.defaultBackend).toBe('archive');
    expect(second.registry.provider('archive')).toMatchObject({ enabled: true, isDefault: true, deleteLocal: true });
    expect(second.registry.active()).toMatchObject({ name: 'archive', deleteLocal: true });
  });

  it('falls back to local disk when the stored secrets cannot be decrypted, without forgetting the choice', async () => {
    const first = await openWithBackends();
    await first.registry.saveSettings('archive', {
      root: archiveRoot,
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    await first.registry.enable('archive');
    await first.registry.setDefault('archive');
    await first.close();

    const wrongKey = 'a-different-application-key-0123456789abcdef';
    const second = await openWithBackends({ appKey: wrongKey });
    const fallbacks: BackendFallbackEvent[] = [];
    second.events.on('backend:fallback', (event) => fallbacks.push(event));

    const sha = await ws.addResult('images/a.png');
    const outcome = await second.offload({ path: 'images/a.png' });
    expect(outcome).toMatchObject({ status: 'local', location: 'local:images/a.png', failedStage: 'resolve' });
    expect(outcome.error?.code).toBe(ErrorCode.Misconfigured);
    expect(outcome.error?.message).toMatch(/provider "archive".*application key is wrong/);
    expect(outcome.error?.message).not.toContain(wrongKey);
    expect(await fileSha256(join(ws.resultsRoot, 'images/a.png'))).toBe(sha);
    expect(fallbacks).toEqual([{ from: 'archive', to: 'local', reason: expect.stringMatching(/cannot decrypt/) }]);
    expect(second.registry.defaultBackend).toBe('archive');
    expect(second.registry.provider('archive').problems).toEqual([expect.stringMatching(/cannot decrypt/)]);
  });

  it('disabling or removing the default sends new results to local disk; stored files keep serving', async () => {
    const storage = await openWithBackends();
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await ws.addResult('one.png');
    const first = await storage.offload({ path: 'one.png' });
    expect(first).toMatchObject({ status: 'offloaded', location: 'archive:one.png' });

    await storage.registry.disable('archive');
    expect(storage.registry.defaultBackend).toBe('local');
    await ws.addResult('two.png');
    expect(await storage.offload({ path: 'two.png' })).toMatchObject({ status: 'local', error: undefined });
    // Disabled for new writes, still serving what it holds.
    expect((await streamToBuffer(await storage.read('archive:one.png'))).length).toBe(4096);

    await storage.registry.remove('archive', { forgetStoredObjects: true });
    expect(storage.registry.provider('archive').configured).toBe(false);
    await expect(storage.read('archive:one.png')).rejects.toMatchObject({ code: ErrorCode.Misconfigured });
    expect(await fileSha256(join(archiveRoot, 'one.png'))).toBeDefined();
  });

  it('refuses to remove a provider unless the caller accepts that its stored locations stop resolving', async () => {
    const storage = await openWithBackends();
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    const sha = await ws.addResult('kept.png');
    expect(await storage.offload({ path: 'kept.png' })).toMatchObject({ location: 'archive:kept.png' });

    const attempt = storage.registry.remove('archive');
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(attempt).rejects.toThrow(
      /stored locations "archive:\.\.\." stop resolving.*forgetStoredObjects: true/,
    );
    // Nothing changed: still the default, still serving.
    expect(storage.registry.defaultBackend).toBe('archive');
    expect(sha256Of(await streamToBuffer(await storage.read('archive:kept.png')))).toBe(sha);

    await storage.registry.remove('archive', { forgetStoredObjects: true });
    expect(storage.registry.defaultBackend).toBe('local');
    const unresolved = storage.read('archive:kept.png');
    await expect(unresolved).rejects.toMatchObject({ code: ErrorCode.Misconfigured });
    await expect(unresolved).rejects.toThrow(
      /backend "archive" has no settings.*locations "archive:\.\.\." cannot be served/,
    );
    expect(await fileSha256(join(archiveRoot, 'kept.png'))).toBe(sha);
  });

  it('refuses unknown settings fields, such as a mistyped secret name, and stores nothing', async () => {
    const storage = await openWithBackends();
    const attempt = storage.registry.saveSettings('archive', {
      root: archiveRoot,
      signing_secret: SIGNING_SECRET,
      publicBaseUrl: 'ftp://x',
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCode.Misconfigured,
      problems: ['signing_secret: unknown setting', expect.stringMatching(/^publicBaseUrl: /)],
    });
    await expect(attempt).rejects.not.toThrow(SIGNING_SECRET);
    await expect(readFile(ws.settingsFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });

    // A valid save followed by the typo: the stored entry stays as it was and never holds the value.
    await storage.registry.saveSettings('archive', { root: archiveRoot, deleteLocal: true });
    await expect(
      storage.registry.saveSettings('archive', { root: archiveRoot, signing_secret: SIGNING_SECRET }),
    ).rejects.toThrow(/signing_secret: unknown setting/);
    const file = await readFile(ws.settingsFile, 'utf8');
    expect(file).not.toContain(SIGNING_SECRET);
    expect(file).not.toContain('signing_secret');
    expect(JSON.stringify(storage.registry.provider('archive'))).not.toContain(SIGNING_SECRET);
    const tested = await storage.registry.testConnection('archive', { root: archiveRoot, signing_secret: 'x' });
    expect(tested).toMatchObject({ ok: false, failedStep: 'configure' });
    expect(tested.message).toMatch(/signing_secret: unknown setting/);
  });

  it('refuses a value holding [redacted], a view sent back, naming the field, and keeps what is stored', async () => {
    const storage = await openWithBackends();
    await storage.registry.saveSettings('archive', {
      root: archiveRoot,
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl: `https://app.example.com/${SIGNING_SECRET}`,
    });
    const view = storage.registry.provider('archive');
    expect(view.settings.signedUrlBaseUrl).toBe(`https://app.example.com/${REDACTED}`);
    const attempt = storage.registry.saveSettings('archive', view.settings);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      problems: [
        `signedUrlBaseUrl: holds ${REDACTED}, which is what a view shows in place of a secret pasted into this field, not its value; enter the value again, or clear the field`,
      ],
    });
    expect(storage.registry.provider('archive')).toEqual(view);
    expect(storage.registry.targets.targetsOf('archive')).toEqual(['archive.1']);
  });

  it('refuses settings edited outside Stowage and sends new results to local disk', async () => {
    const first = await openWithBackends();
    await first.registry.saveSettings('archive', { root: archiveRoot });
    await first.registry.enable('archive');
    await first.registry.setDefault('archive');
    await first.close();

    // Someone with write access to the settings file points the backend at another folder.
    const stored = JSON.parse(await readFile(ws.settingsFile, 'utf8'));
    stored.providers.archive.settings.root = coldRoot;
    await writeFile(ws.settingsFile, JSON.stringify(stored));

    const second = await openWithBackends();
    const sha = await ws.addResult('after.png');
    const outcome = await second.offload({ path: 'after.png' });
    expect(outcome).toMatchObject({ status: 'local', location: 'local:after.png', failedStage: 'resolve' });
    expect(outcome.error?.code).toBe(ErrorCode.Misconfigured);
    expect(outcome.error?.message).toBe(
      'settings for "archive" were changed outside Stowage, or the app key is wrong; save them again to trust them',
    );
    expect(await fileSha256(join(ws.resultsRoot, 'after.png'))).toBe(sha);
    expect(await fileSha256(join(coldRoot, 'after.png'))).toBeUndefined();
    expect(() => second.registry.driver('archive')).toThrow(/changed outside Stowage/);
    expect(second.registry.provider('archive').problems).toEqual([expect.stringMatching(/changed outside Stowage/)]);
    await expect(second.registry.enable('archive')).rejects.toThrow(/changed outside Stowage/);
    await expect(second.registry.disable('archive')).rejects.toThrow(/changed outside Stowage/);

    // Saving the settings again through Stowage makes the entry trusted again, but not enabled.
    await second.registry.saveSettings('archive', { root: archiveRoot });
    expect(second.registry.provider('archive')).toMatchObject({ enabled: false, problems: [] });
  });

  it('detects edited flags and a removed signature, not only edited settings', async () => {
    const first = await openWithBackends();
    await first.registry.saveSettings('archive', { root: archiveRoot });
    await first.registry.saveSettings('cold', { root: coldRoot });
    await first.registry.enable('cold');
    await first.close();

    const stored = JSON.parse(await readFile(ws.settingsFile, 'utf8'));
    stored.providers.archive.deleteLocal = true;
    delete stored.providers.cold.mac;
    await writeFile(ws.settingsFile, JSON.stringify(stored));

    const second = await openWithBackends();
    expect(second.registry.provider('archive').problems).toEqual([expect.stringMatching(/changed outside Stowage/)]);
    expect(second.registry.provider('cold').problems).toEqual([expect.stringMatching(/changed outside Stowage/)]);
    await expect(second.registry.setDefault('cold')).rejects.toThrow(/changed outside Stowage/);
  });

  it('refuses signed settings read with a different application key, without showing either key', async () => {
    const first = await openWithBackends();
    await first.registry.saveSettings('archive', { root: archiveRoot });
    await first.close();
    const otherKey = 'another-application-key-0123456789abcdef';
    const second = await openWithBackends({ appKey: otherKey });
    const problems = second.registry.provider('archive').problems;
    expect(problems).toEqual([expect.stringMatching(/changed outside Stowage, or the app key is wrong/)]);
    expect(problems.join('')).not.toContain(otherKey);
  });

  it('sees changes another process made after reload()', async () => {
    const web = await openWithBackends();
    const admin = await openWithBackends();
    await admin.registry.saveSettings('archive', { root: archiveRoot });
    await admin.registry.enable('archive');
    await admin.registry.setDefault('archive');
    expect(web.registry.active().name).toBe('local');
    await web.registry.reload();
    expect(web.registry.active().name).toBe('archive');
  });

  it('switching the default never moves, copies or deletes stored objects', async () => {
    const storage = await openWithBackends();
    for (const [name, root] of [
      ['archive', archiveRoot],
      ['cold', coldRoot],
    ] as const) {
      await storage.registry.saveSettings(name, { root });
      await storage.registry.enable(name);
    }
    await storage.registry.setDefault('archive');
    const sha = await ws.addResult('video/clip.mp4', 100_000);
    const outcome = await storage.offload({ path: 'video/clip.mp4' });
    expect(outcome.location).toBe('archive:video/clip.mp4');

    await storage.registry.setDefault('cold');
    await storage.registry.setDefault('local');
    await storage.registry.setDefault('cold');
    expect(await fileSha256(join(archiveRoot, 'video/clip.mp4'))).toBe(sha);
    expect(await fileSha256(join(coldRoot, 'video/clip.mp4'))).toBeUndefined();
    expect(await fileSha256(join(ws.resultsRoot, 'video/clip.mp4'))).toBe(sha);
    expect(await storage.exists('archive:video/clip.mp4')).toBe(true);
    expect(await storage.exists('cold:video/clip.mp4')).toBe(false);
  });

  it('tests candidate settings without saving them, reporting settings problems as a failed configure step', async () => {
    const storage = await openWithBackends();
    const good = await storage.registry.testConnection('archive', { root: archiveRoot });
    expect(good).toMatchObject({ ok: true });
    const bad = await storage.registry.testConnection('archive', { root: 'nope' });
    expect(bad).toMatchObject({ ok: false, failedStep: 'configure', code: ErrorCode.Misconfigured });
    expect(bad.message).toMatch(/root: must be an absolute path/);
    expect(storage.registry.provider('archive').configured).toBe(false);
  });

  it('needs an application key only once a provider has secrets', async () => {
    const storage = await ws.open({ appKey: undefined });
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await expect(
      storage.registry.saveSettings('archive', {
        root: archiveRoot,
        signingSecret: SIGNING_SECRET,
        signedUrlBaseUrl: 'https://app.example/files',
      }),
    ).rejects.toThrow(/application key is needed/);
  });

  it('refuses a weak application key when secrets are involved, without echoing it', async () => {
    const storage = await openWithBackends({ appKey: 'too-short' });
    const attempt = storage.registry.saveSettings('archive', {
      root: archiveRoot,
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    const error = await attempt.then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toMatch(/at least 32 characters/);
    expect(error?.message).not.toContain('too-short');
  });
});

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
