/**
 * The server-rendered settings page and its plain forms, through real
 * Requests: the R2 guide's fields and help texts, secret inputs always empty
 * with "leave blank to keep", save / test / enable / default by form posts,
 * refusals shown next to the fields with what was typed kept (never a secret),
 * and a secret a sloppy third-party driver repeats in its error cut out of
 * every answer and log.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyDriverDefinition } from '@stowage/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminHandler } from '../src/index.js';
import { SCRUBBED } from '../src/scrub-secrets.js';
import { type AdminWorld, CSRF_SECRET, cookieAuthorize, ORIGIN, openAdminWorld, SESSION_COOKIE } from './support.js';

const SIGNING_SECRET = 'page-signing-secret-0123456789-abcdefghij-Q';

let world: AdminWorld;
let nasRoot: string;
beforeEach(async () => {
  world = await openAdminWorld();
  nasRoot = await world.folder('nas');
});
afterEach(async () => {
  await world.close();
});

/** The markup of one provider's card. */
function card(html: string, name: string): string {
  const start = html.indexOf(`<article class="provider" id="provider-${name}"`);
  expect(start, `card of ${name}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</article>', start));
}

/** The <input> tag of field `name` in `markup`. */
function input(markup: string, name: string): string {
  const tag = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(markup)?.[0];
  expect(tag, `input ${name}`).toBeDefined();
  return tag ?? '';
}

/** What a browser submits for the settings form in a card as shown, nothing typed: values, checked boxes, choices. */
function shownForm(markup: string): Record<string, string> {
  const at = markup.indexOf('class="settings"');
  const form = markup.slice(markup.lastIndexOf('<form', at), markup.indexOf('</form>', at));
  const unescaped = (text: string) =>
    text
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (name === undefined || name === '_csrf') continue;
    if (/type="checkbox"/.test(tag)) {
      if (/ checked/.test(tag)) fields[name] = 'on';
    } else fields[name] = unescaped(/value="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  for (const [, name, options] of form.matchAll(/<select[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    if (name !== undefined) fields[name] = unescaped(/<option value="([^"]*)" selected/.exec(options ?? '')?.[1] ?? '');
  }
  return fields;
}

describe('the settings page', () => {
  it('shows R2 with the guide’s fields and help texts, Enable, Delete local copy, Save and Test connection', async () => {
    const response = await world.send('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<title>Storage settings</title>');
    const r2 = card(html, 'r2');
    for (const text of [
      '<h2>Cloudflare R2</h2>',
      'Enable Cloudflare R2',
      'Makes Cloudflare R2 a selectable option in the Default Storage list',
      'Delete local copy after upload',
      'Access Key ID',
      'Secret Access Key',
      'leave blank on later edits to keep the stored one',
      'Account ID',
      'https://{account_id}.r2.cloudflarestorage.com',
      'Bucket',
      'Custom Endpoint',
      'Public / CDN URL',
      'Key Prefix',
      'Use path-style endpoint',
      '>Save</button>',
      'formaction="/admin/storage/providers/r2/test"',
      '>Test connection</button>',
      'Test connection saves these settings, then uploads, reads back and deletes a tiny probe object',
    ]) {
      expect(r2, text).toContain(text);
    }
    expect(input(r2, 'secretAccessKey')).toMatch(/type="password"[^>]*value=""/);
    expect(input(r2, 'forcePathStyle')).toContain(' checked'); // the driver's default, shown
    expect(r2).toContain('Enable Cloudflare R2</button>');
    expect(r2).toMatch(/<button type="submit" disabled>Enable Cloudflare R2/); // nothing saved yet
    expect(html).toContain('<input type="hidden" name="_csrf" value="');
    expect(card(html, 'local')).toContain(`<code>${world.resultsRoot}</code>`);
    expect(html).toContain('id="default-storage"');
    expect(html).toContain('aria-label="Results by state"');
  });

  it('lists only local disk and enabled providers under Default Storage', async () => {
    await world.storage.registry.saveSettings('nas', { root: nasRoot });
    const selector = (html: string) =>
      html.slice(
        html.indexOf('<select id="default-storage-name"'),
        html.indexOf('</select>', html.indexOf('<select id="default-storage-name"')),
      );
    expect(selector(await (await world.send('/')).text())).not.toContain('value="nas"');
    await world.storage.registry.enable('nas');
    const options = selector(await (await world.send('/')).text());
    expect(options).toContain('<option value="local" selected>Local disk</option>');
    expect(options).toContain('<option value="nas">NAS folder</option>');
    expect(options).not.toContain('value="r2"');
  });
});

describe('form posts', () => {
  it('Save stores the settings; the page shows the secret as stored, its input empty, the value nowhere', async () => {
    const response = await world.form('/providers/nas', {
      root: nasRoot,
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl: 'https://app.example.com/files',
      deleteLocal: 'on',
    });
    expect(response.status).toBe(200);
    const html = await response.text();
    const nas = card(html, 'nas');
    expect(nas).toContain('Settings saved.');
    expect(input(nas, 'signingSecret')).toMatch(/value=""[^>]*placeholder="leave blank to keep"/);
    expect(nas).toContain('A secret is stored.');
    expect(input(nas, 'deleteLocal')).toContain(' checked');
    expect(html).not.toContain(SIGNING_SECRET);
    expect(world.storage.registry.provider('nas')).toMatchObject({
      configured: true,
      deleteLocal: true,
      secrets: { signingSecret: { set: true } },
    });

    // Saved again with the secret blank: kept.
    await world.form('/providers/nas', { root: nasRoot, signedUrlBaseUrl: 'https://app.example.com/files' });
    expect(world.storage.registry.provider('nas')).toMatchObject({
      deleteLocal: false,
      secrets: { signingSecret: { set: true } },
    });
  });

  it('a refusal shows each problem next to its field with what was typed kept, secrets empty and nowhere', async () => {
    const response = await world.form('/providers/nas', {
      root: 'relative/kept-value',
      publicBaseUrl: 'https://files.example.com',
      signingSecret: SIGNING_SECRET,
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    const nas = card(html, 'nas');
    expect(nas).toContain('Not saved: please fix the following.');
    expect(nas).toContain('<li>Folder: must be an absolute path</li>');
    expect(nas).toContain('<li>Signed URL base: required when signingSecret is set</li>');
    expect(nas).toMatch(/name="root" value="relative\/kept-value"/);
    expect(nas).toMatch(/name="publicBaseUrl" value="https:\/\/files\.example\.com"/);
    expect(input(nas, 'signingSecret')).toMatch(/value=""/);
    expect(html).not.toContain(SIGNING_SECRET);
    expect(world.storage.registry.provider('nas').configured).toBe(false);
  });

  it('refuses a value of the wrong kind before saving: a number that is not one, a choice not offered', async () => {
    const response = await world.form('/providers/r2', {
      accessKeyId: 'AKIA-EXAMPLE',
      secretAccessKey: 'r2-secret-value-123456',
      accountId: 'a'.repeat(32),
      bucket: 'media',
      partSize: 'lots',
      jurisdiction: 'moon',
    });
    expect(response.status).toBe(400);
    const r2 = card(await response.text(), 'r2');
    expect(r2).toContain('<li>Part size (bytes): must be a number</li>');
    expect(r2).toContain('<li>Jurisdiction: must be one of the listed choices</li>');
    expect(r2).not.toContain('moon');
    expect(world.storage.registry.provider('r2').configured).toBe(false);
  });

  it('shows the key template field, refuses a bad template next to it, and saves a good one', async () => {
    const form = { root: nasRoot, signingSecret: SIGNING_SECRET, signedUrlBaseUrl: 'https://app.example.com/files' };
    const page = card(await (await world.send('/')).text(), 'nas');
    expect(page).toContain('File Path (key template)');
    expect(input(page, 'keyTemplate')).toMatch(
      /value=""[^>]*placeholder="\{year\}\/\{month\}\/\{fileName\}\.\{extName\}"/,
    );

    const refused = await world.form('/providers/nas', { ...form, keyTemplate: 'img/../{nope}' });
    expect(refused.status).toBe(400);
    const nas = card(await refused.text(), 'nas');
    expect(nas).toMatch(/<li>File Path \(key template\): unknown token at character 8/);
    expect(nas).toMatch(/<li>File Path \(key template\): segment 2 is &quot;\.\.&quot;/);
    expect(input(nas, 'keyTemplate')).toContain('value="img/../{nope}"');
    expect(world.storage.registry.provider('nas').configured).toBe(false);

    const saved = await world.form('/providers/nas', { ...form, keyTemplate: ' {year}/{hash8}-{fileName}.{extName} ' });
    expect(saved.status).toBe(200);
    expect(input(card(await saved.text(), 'nas'), 'keyTemplate')).toContain(
      'value="{year}/{hash8}-{fileName}.{extName}"',
    );
    expect(world.storage.registry.provider('nas').keyTemplate).toBe('{year}/{hash8}-{fileName}.{extName}');
    // Blank: back to each result's relative path.
    await world.form('/providers/nas', { ...form, keyTemplate: '' });
    expect(world.storage.registry.provider('nas').keyTemplate).toBeUndefined();
  });

  it('keeps settings the form does not show (tuning the app set in code)', async () => {
    await world.storage.registry.saveSettings('minio', {
      endpoint: 'http://127.0.0.1:9',
      bucket: 'media',
      accessKeyId: 'minio-key',
      secretAccessKey: 'minio-secret-value',
      retries: 7,
    });
    const response = await world.form('/providers/minio', {
      endpoint: 'http://127.0.0.1:9',
      bucket: 'media-2',
      accessKeyId: 'minio-key',
      forcePathStyle: 'on',
    });
    expect(response.status).toBe(200);
    expect(world.storage.registry.provider('minio').settings).toMatchObject({
      bucket: 'media-2',
      retries: 7,
      forcePathStyle: true,
    });
    expect(world.storage.registry.provider('minio').secrets).toEqual({
      secretAccessKey: { set: true },
      sessionToken: { set: false },
    });
  });

  it('refuses to save a field the form shows as [redacted] (a secret pasted there) unchanged, next to it, saving nothing', async () => {
    const secret = 'r2-secret-value-pasted-twice';
    await world.storage.registry.saveSettings('r2', {
      accessKeyId: 'AKIA-EXAMPLE',
      secretAccessKey: secret,
      accountId: 'a'.repeat(32),
      bucket: 'media',
      keyPrefix: `${secret}/`,
    });
    const stored = world.storage.registry.provider('r2').settings;
    const page = card(await (await world.send('/')).text(), 'r2');
    expect(input(page, 'keyPrefix')).toContain(`value="${SCRUBBED}/"`);

    const response = await world.form('/providers/r2', shownForm(page));
    expect(response.status).toBe(400);
    const html = await response.text();
    const r2 = card(html, 'r2');
    const problem = `holds ${SCRUBBED}, which is what a view shows in place of a secret pasted into this field, not its value; enter the value again, or clear the field`;
    expect(r2).toContain(`<li>Key Prefix: ${problem}</li>`);
    const row = r2.slice(
      r2.indexOf('for="p-r2-keyPrefix"'),
      r2.indexOf('<div class="field', r2.indexOf('for="p-r2-keyPrefix"')),
    );
    expect(row).toContain(`<p class="problem">${problem}</p>`);
    expect(html).not.toContain(secret);
    // Nothing saved: the stored prefix stands, and no new target was started.
    expect(world.storage.registry.provider('r2').settings).toEqual(stored);
    expect(world.storage.registry.targets.targetsOf('r2')).toEqual(['r2.1']);
  });

  it('Test connection saves, then tests, and shows the report: OK, or the failed step with the advice', async () => {
    const ok = card(await (await world.form('/providers/nas/test', { root: nasRoot })).text(), 'nas');
    expect(ok).toContain('Connection OK');
    expect(ok).toContain('the probe object was uploaded, read back and deleted');
    expect(ok).toContain('✓ Upload a probe object');

    const failed = card(
      await (await world.form('/providers/nas/test', { root: join(world.dir, 'not-mounted') })).text(),
      'nas',
    );
    expect(failed).toContain('Connection failed');
    expect(failed).toContain('Failed step: <b>Reach the bucket</b> (<code>BUCKET_NOT_FOUND</code>)');
    expect(failed).toContain('Connecting failed: the bucket does not exist at this endpoint.');
    expect(failed).toContain('Upload a probe object: not run');
    expect(world.storage.registry.provider('nas').settings.root).toBe(join(world.dir, 'not-mounted'));

    const local = card(await (await world.form('/providers/local/test', {})).text(), 'local');
    expect(local).toContain('Connection OK');
  });

  it('Enable, Default Storage and Disable, by form', async () => {
    await world.storage.registry.saveSettings('nas', { root: nasRoot });
    const enabled = card(await (await world.form('/providers/nas/enable', {})).text(), 'nas');
    expect(enabled).toContain('NAS folder is enabled.');
    expect(enabled).toContain('Disable NAS folder</button>');

    const chosen = await (await world.form('/default', { name: 'nas' })).text();
    expect(chosen).toContain('Default Storage is now NAS folder.');
    expect(world.storage.registry.defaultBackend).toBe('nas');
    expect(card(chosen, 'nas')).toContain('<span class="badge default">Default</span>');

    const refused = await world.form('/default', { name: 'r2' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<p>enable it first</p>');

    const disabled = await (await world.form('/providers/nas/disable', {})).text();
    expect(card(disabled, 'nas')).toContain('is disabled.');
    expect(world.storage.registry.defaultBackend).toBe('local');
  });

  it('shows the results by state and target', async () => {
    await world.storage.registry.saveSettings('nas', { root: nasRoot });
    await world.storage.registry.enable('nas');
    await world.storage.registry.setDefault('nas');
    await writeFile(join(world.resultsRoot, 'a.png'), 'a');
    await world.storage.offload({ path: 'a.png' });
    const html = await (await world.send('/')).text();
    expect(html).toMatch(/<tr data-state="offloaded"><td>Offloaded<\/td><td class="number">1<\/td><\/tr>/);
    expect(html).toMatch(/<tr data-target="nas.1"><td><code>nas.1<\/code><\/td><td class="number">1<\/td>/);
  });
});

describe('a driver whose error message repeats a secret', () => {
  const LEAKED = 'third-party-api-key-0123456789';
  const sloppy: AnyDriverDefinition = {
    name: 'sloppy',
    label: 'Sloppy Cloud',
    schema: z.object({ bucket: z.string(), apiKey: z.string() }),
    secretFields: ['apiKey'],
    placementFields: ['bucket'],
    fields: [
      {
        name: 'bucket',
        label: 'Bucket',
        kind: 'text',
        help: 'The bucket.',
        required: true,
        placeholder: '',
        section: 'connection',
      },
      {
        name: 'apiKey',
        label: 'API key',
        kind: 'secret',
        help: 'The key.',
        required: true,
        placeholder: '',
        section: 'connection',
      },
    ],
    create: (settings: { apiKey: string }) => {
      throw new Error(`cannot connect with key ${settings.apiKey}`);
    },
  };

  it('never shows it: not in the page, not in the API answer, not in the log', async () => {
    world.storage.registry.register(sloppy);
    const handler = createAdminHandler({
      storage: world.storage,
      authorize: cookieAuthorize,
      definitions: [...world.definitions, sloppy],
      csrfSecret: CSRF_SECRET,
      logger: world.logger,
    });
    const token = (
      (await (await handler(new Request(`${ORIGIN}/api/csrf`, { headers: { cookie: SESSION_COOKIE } }))).json()) as {
        token: string;
      }
    ).token;
    const page = await handler(
      new Request(`${ORIGIN}/providers/sloppy`, {
        method: 'POST',
        headers: { cookie: SESSION_COOKIE, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, bucket: 'media', apiKey: LEAKED }),
      }),
    );
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain(`cannot connect with key ${SCRUBBED}`);
    expect(html).not.toContain(LEAKED);

    const api = await handler(
      new Request(`${ORIGIN}/api/providers/sloppy`, {
        method: 'PUT',
        headers: { cookie: SESSION_COOKIE, 'content-type': 'application/json', 'x-csrf-token': token },
        body: JSON.stringify({ bucket: 'media', apiKey: LEAKED }),
      }),
    );
    const text = await api.text();
    expect(api.status).toBe(400);
    expect(text).toContain(SCRUBBED);
    expect(text).not.toContain(LEAKED);
    expect(world.logger.lines.join('\n')).not.toContain(LEAKED);
  });
});
