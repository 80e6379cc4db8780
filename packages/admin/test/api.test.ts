/**
 * The JSON API through real Requests against a real Storage whose backends
 * are other local folders: providers with their fields and secrets only as
 * set/not set, save (blank secret keeps), test connection (save, then
 * probe), enable, disable, the default, stats; problems named, input never echoed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminWorld, openAdminWorld } from './support.js';

const SIGNING_SECRET = 'nas-signing-secret-0123456789-abcdefghij-XYZ';

interface ProviderJson {
  name: string;
  label: string;
  configured: boolean;
  enabled: boolean;
  isDefault: boolean;
  deleteLocal: boolean;
  settings: Record<string, unknown>;
  secrets: Record<string, { set: boolean }>;
  fields: { name: string; kind: string; label: string }[];
}

let world: AdminWorld;
let nasRoot: string;
beforeEach(async () => {
  world = await openAdminWorld();
  nasRoot = await world.folder('nas');
});
afterEach(async () => {
  await world.close();
});

async function json<T>(response: Response): Promise<{ status: number; body: T; text: string }> {
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T, text };
}

const nasSettings = () => ({
  root: nasRoot,
  signingSecret: SIGNING_SECRET,
  signedUrlBaseUrl: 'https://app.example.com/files',
  publicBaseUrl: 'https://files.example.com',
});

describe('GET /api/providers', () => {
  it('lists local disk and every registered provider with its settings fields, the default and where results go', async () => {
    const { status, body } = await json<{
      defaultBackend: string;
      active: { name: string };
      providers: ProviderJson[];
    }>(await world.send('/api/providers'));
    expect(status).toBe(200);
    expect(body.defaultBackend).toBe('local');
    expect(body.active).toEqual({ name: 'local' });
    expect(body.providers.map((provider) => provider.name)).toEqual(['local', 'nas', 'memory', 'r2', 'minio']);
    const r2 = body.providers.find((provider) => provider.name === 'r2');
    expect(r2?.fields.map((field) => field.label)).toContain('Secret Access Key');
    expect(r2?.secrets).toEqual({ secretAccessKey: { set: false } });
    expect(body.providers[0]).toMatchObject({ name: 'local', fields: [], enabled: true, isDefault: true });
  });
});

describe('PUT /api/providers/:name', () => {
  it('saves settings, returns the view with the secret only as set, and a blank secret keeps the stored one', async () => {
    const saved = await json<{ provider: ProviderJson }>(await world.api('PUT', '/api/providers/nas', nasSettings()));
    expect(saved.status).toBe(200);
    expect(saved.body.provider).toMatchObject({
      name: 'nas',
      configured: true,
      enabled: false,
      settings: { root: nasRoot, publicBaseUrl: 'https://files.example.com' },
      secrets: { signingSecret: { set: true } },
    });
    expect(saved.text).not.toContain(SIGNING_SECRET);

    const kept = await json<{ provider: ProviderJson }>(
      await world.api('PUT', '/api/providers/nas', { ...nasSettings(), signingSecret: '' }),
    );
    expect(kept.body.provider.secrets.signingSecret).toEqual({ set: true });
    // The kept secret still signs URLs: the driver was built with it.
    await writeFile(join(nasRoot, 'a.txt'), 'hello');
    const signed = await world.storage.registry.driver('nas').presignGet('a.txt', { expiresIn: 60 });
    expect(signed.url).toMatch(/^https:\/\/app\.example\.com\/files\/a\.txt\?/);

    const read = await world.send('/api/providers/nas');
    const readText = await read.text();
    expect(readText).not.toContain(SIGNING_SECRET);
    expect(JSON.parse(readText).provider.secrets).toEqual({ signingSecret: { set: true } });
    expect(world.logger.lines.join('\n')).not.toContain(SIGNING_SECRET);
    expect(world.logger.lines.join('\n')).toContain('provider settings saved');
  });

  it('refuses invalid settings with 400 naming every problem, stores nothing and repeats no value', async () => {
    const response = await json<{ error: string; problems: string[] }>(
      await world.api('PUT', '/api/providers/nas', {
        root: 'relative/folder-xyzzy',
        publicBaseUrl: 'not a url xyzzy',
        secret_key: SIGNING_SECRET,
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('settings for "nas"');
    expect(response.body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^secret_key: unknown setting/),
        'root: must be an absolute path',
        'publicBaseUrl: must be an http(s) URL',
      ]),
    );
    expect(response.text).not.toContain('xyzzy');
    expect(response.text).not.toContain(SIGNING_SECRET);
    expect(world.storage.registry.provider('nas').configured).toBe(false);
  });

  it('refuses a view’s settings sent back with a field shown as [redacted] with 400 naming it, saving nothing', async () => {
    await world.storage.registry.saveSettings('nas', {
      ...nasSettings(),
      publicBaseUrl: `https://cdn.example.com/${SIGNING_SECRET}`,
    });
    const view = await json<{ provider: ProviderJson }>(await world.send('/api/providers/nas'));
    expect(view.body.provider.settings.publicBaseUrl).toBe('https://cdn.example.com/[redacted]');
    const refused = await json<{ error: string; problems: string[] }>(
      await world.api('PUT', '/api/providers/nas', view.body.provider.settings),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'settings for "nas"',
      problems: [
        'publicBaseUrl: holds [redacted], which is what a view shows in place of a secret pasted into this field, not its value; enter the value again, or clear the field',
      ],
    });
    expect(refused.text).not.toContain(SIGNING_SECRET);
    expect(world.storage.registry.provider('nas').settings).toEqual(view.body.provider.settings);
    expect(world.storage.registry.targets.targetsOf('nas')).toEqual(['nas.1']);
  });

  it('saves a key template and shows it in the view; a bad one is 400 with every problem, the text not repeated', async () => {
    const refused = await json<{ error: string; problems: string[] }>(
      await world.api('PUT', '/api/providers/nas', { ...nasSettings(), keyTemplate: '/xyzzy/{xyzzy}' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.problems).toEqual([
      'keyTemplate: must be relative (no leading "/")',
      expect.stringMatching(/^keyTemplate: unknown token at character 8 \(known: \{path\}, \{year\}/),
    ]);
    expect(refused.text).not.toContain('xyzzy');
    const saved = await json<{ provider: ProviderJson & { keyTemplate?: string } }>(
      await world.api('PUT', '/api/providers/nas', { ...nasSettings(), keyTemplate: '{year}/{uuid}.{extName}' }),
    );
    expect(saved.status).toBe(200);
    expect(saved.body.provider.keyTemplate).toBe('{year}/{uuid}.{extName}');
  });

  it('needs a JSON object body', async () => {
    const response = await json<{ problems: string[] }>(await world.api('PUT', '/api/providers/nas'));
    expect(response.status).toBe(400);
    expect(response.body.problems).toEqual(['send the settings as a JSON object']);
    expect((await world.api('PUT', '/api/providers/local', { root: '/x' })).status).toBe(400);
  });
});

describe('POST /api/providers/:name/test', () => {
  it('saves, then probes, and returns the report as an admin reads it', async () => {
    const { status, body, text } = await json<{
      provider: ProviderJson;
      report: { ok: boolean; message: string; steps: { step: string; ok: boolean }[] };
    }>(await world.api('POST', '/api/providers/nas/test', nasSettings()));
    expect(status).toBe(200);
    expect(body.provider.configured).toBe(true);
    expect(body.report.ok).toBe(true);
    expect(body.report.message).toBe('Connection OK: the probe object was uploaded, read back and deleted.');
    expect(body.report.steps.map((step) => step.step)).toEqual(['connect', 'write', 'read', 'compare', 'delete']);
    expect(text).not.toContain(SIGNING_SECRET);
  });

  it('reports the failed step and why, and tests the stored settings when no body is sent', async () => {
    await world.api('PUT', '/api/providers/nas', { ...nasSettings(), root: join(world.dir, 'not-mounted') });
    const { body } = await json<{ report: { ok: boolean; failedStep: string; code: string; message: string } }>(
      await world.api('POST', '/api/providers/nas/test'),
    );
    expect(body.report).toMatchObject({ ok: false, failedStep: 'connect', code: 'BUCKET_NOT_FOUND' });
    expect(body.report.message).toMatch(/^Connecting failed: the bucket does not exist/);

    const local = await json<{ report: { ok: boolean } }>(await world.api('POST', '/api/providers/local/test'));
    expect(local.body.report.ok).toBe(true);
    expect((await world.api('POST', '/api/providers/local/test', { root: '/' })).status).toBe(400);
  });

  it('does not probe when the settings cannot be saved', async () => {
    const response = await json<{ problems: string[] }>(
      await world.api('POST', '/api/providers/nas/test', { root: 'relative' }),
    );
    expect(response.status).toBe(400);
    expect(response.body.problems).toEqual(['root: must be an absolute path']);
  });
});

describe('enable, disable and the default', () => {
  it('enables a provider, makes it the default so offload goes there, and disabling falls back to local disk', async () => {
    await world.api('PUT', '/api/providers/nas', nasSettings());
    const enabled = await json<{ provider: ProviderJson }>(await world.api('POST', '/api/providers/nas/enable'));
    expect(enabled.body.provider.enabled).toBe(true);

    const chosen = await json<{ defaultBackend: string; active: { name: string } }>(
      await world.api('POST', '/api/default', { name: 'nas' }),
    );
    expect(chosen.body).toEqual({ defaultBackend: 'nas', active: { name: 'nas' } });
    await writeFile(join(world.resultsRoot, 'cat.png'), 'not really a png');
    const outcome = await world.storage.offload({ path: 'cat.png' });
    expect(outcome).toMatchObject({ status: 'offloaded', location: 'nas:cat.png' });

    const stats = await json<{ stats: { byState: Record<string, number>; byTarget: { targetId: string }[] } }>(
      await world.send('/api/stats'),
    );
    expect(stats.body.stats.byState.offloaded).toBe(1);
    expect(stats.body.stats.byTarget.map((target) => target.targetId)).toEqual(['nas.1']);

    const disabled = await json<{ provider: ProviderJson }>(await world.api('POST', '/api/providers/nas/disable'));
    expect(disabled.body.provider).toMatchObject({ enabled: false, isDefault: false });
    expect(world.storage.registry.defaultBackend).toBe('local');
    expect(world.logger.lines.filter((line) => line.includes('storage admin:')).length).toBeGreaterThanOrEqual(4);
  });

  it('refuses what the registry refuses, with its problems: enabling without settings, a default not enabled', async () => {
    const enable = await json<{ error: string; problems: string[] }>(
      await world.api('POST', '/api/providers/nas/enable'),
    );
    expect(enable.status).toBe(400);
    expect(enable.body).toEqual({
      error: 'cannot enable "nas"',
      problems: ['no settings saved yet; save complete settings first'],
    });
    await world.api('PUT', '/api/providers/nas', nasSettings());
    const notEnabled = await json<{ error: string; problems: string[] }>(
      await world.api('POST', '/api/default', { name: 'nas' }),
    );
    expect(notEnabled.status).toBe(400);
    expect(notEnabled.body).toEqual({ error: 'cannot make "nas" the default', problems: ['enable it first'] });
    expect((await world.api('POST', '/api/providers/local/disable')).status).toBe(400);
  });

  it('checks the default’s body: a name, nothing else; an unknown name is 404', async () => {
    const bad = await json<{ problems: string[] }>(
      await world.api('POST', '/api/default', { name: 7, backend: 'secret-ish-value' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(expect.arrayContaining(['backend: unknown field']));
    expect(bad.body.problems.some((problem) => problem.startsWith('name: '))).toBe(true);
    expect(bad.text).not.toContain('secret-ish-value');
    expect((await world.api('POST', '/api/default', { name: 'nowhere' })).status).toBe(404);
    expect((await world.api('POST', '/api/default')).status).toBe(400);
  });
});

describe('GET /api/stats without a catalog', () => {
  it('says there are none rather than failing', async () => {
    const { createStorage, MemorySettingsStore } = await import('@stowage/storage-core');
    const { createLocalDriver } = await import('@stowage/driver-local');
    const { createAdminHandler } = await import('../src/index.js');
    const storage = await createStorage({
      store: new MemorySettingsStore(),
      local: createLocalDriver({ root: world.resultsRoot }),
      catalog: false,
    });
    const handler = createAdminHandler({ storage, authorize: () => true, definitions: [] });
    const { body } = await json<{ stats: null; message: string }>(
      await handler(new Request('http://admin.test/api/stats')),
    );
    expect(body).toEqual({ stats: null, message: 'This storage keeps no catalog, so there are no result counts.' });
    await storage.close();
  });
});
