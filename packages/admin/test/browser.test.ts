/**
 * The settings page in real headless Chromium, as an admin uses it: the app
 * mounts the admin under /admin/storage behind its session cookie; without
 * it the page answers 401. The admin fills in MinIO's settings: a wrong
 * secret makes "Test connection" say the provider rejected the credentials,
 * the right one passes; then Enable and Default Storage. An image offloaded
 * afterwards renders on a page from its URL. A form on another site (and on
 * another port of the same host, which gets the session cookie) that posts
 * to the admin is refused with 403 and changes nothing. Save on a form that
 * shows a field as [redacted] (a secret pasted there) saves nothing.
 */
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { allowAnonymousRead, createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artefactPath, type LaunchedChromium, launchChromium } from '../../../test-support/chromium.js';
import { createAdminHandler, toNodeHandler } from '../src/index.js';
import { type AdminWorld, cookieAuthorize, openAdminWorld } from './support.js';

/** A real PNG of `width` × `height` pixels in a colour gradient. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push((x * 255) / width, (y * 255) / height, 160);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A page of another origin whose form posts to the admin, the way a forged request would. */
function attackerPage(target: string): string {
  return `<!doctype html><html><body>
    <form id="attack" method="post" action="${target}">
      <input name="name" value="local"><input name="_csrf" value="guessed">
      <button type="submit">Win a prize</button>
    </form></body></html>`;
}

describe('the admin settings page in headless Chromium', () => {
  const s3 = inject('s3');
  let bucket: string;
  let world: AdminWorld;
  let app: Server;
  const attackers: Server[] = [];
  let appOrigin: string;
  let browser: LaunchedChromium;
  let imageUrl = '';

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'admin-browser');
    await allowAnonymousRead(s3, bucket);
    world = await openAdminWorld();
    const admin = toNodeHandler(
      createAdminHandler({
        storage: world.storage,
        authorize: cookieAuthorize,
        definitions: world.definitions,
        basePath: '/admin/storage',
        logger: world.logger,
      }),
    );
    app = createServer((request, response) => {
      if (request.url?.startsWith('/admin/storage')) {
        void admin(request, response);
      } else if (request.url === '/gallery') {
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            `<!doctype html><html><body><h1>Gallery</h1><img id="result" alt="result" src="${imageUrl}"></body></html>`,
          );
      } else {
        response.writeHead(404).end();
      }
    });
    appOrigin = `http://127.0.0.1:${await listen(app, '127.0.0.1')}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stop(app);
    for (const attacker of attackers) await stop(attacker);
    await world?.close();
    await removeTestBucket(s3, bucket);
  });

  it('answers 401 to a browser without the app’s session', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${appOrigin}/admin/storage/`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('h1').textContent()).toBe('Sign in required');
    await page.close();
  });

  it('fills in MinIO, tests (wrong secret, then right), enables it, makes it the default; an offloaded image renders', async () => {
    await browser.context.addCookies([{ name: 'app_session', value: 'admin-1', url: appOrigin }]);
    const page = await browser.context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${appOrigin}/admin/storage/`);
    expect(await page.title()).toBe('Storage settings');
    // The page's one script ran under the CSP (it marks the document).
    expect(await page.evaluate('document.documentElement.dataset.enhanced')).toBe('yes');

    const minio = page.locator('#provider-minio');
    await minio.locator('summary').click();
    await minio.getByRole('textbox', { name: 'Endpoint', exact: true }).fill(s3.endpoint);
    await minio.getByRole('textbox', { name: 'Region', exact: true }).fill(s3.region);
    await minio.getByRole('textbox', { name: 'Bucket', exact: true }).fill(bucket);
    await minio.getByRole('textbox', { name: 'Access Key ID', exact: true }).fill(s3.accessKeyId);
    await minio.getByRole('textbox', { name: 'Secret Access Key', exact: true }).fill('a-wrong-secret-0123456789');
    await minio.getByRole('textbox', { name: 'Public / CDN URL', exact: true }).fill(`${s3.endpoint}/${bucket}`);
    expect(await minio.getByRole('checkbox', { name: 'Use path-style endpoint', exact: true }).isChecked()).toBe(true);
    await minio.getByRole('button', { name: 'Test connection' }).click();

    const failed = page.locator('#provider-minio .probe-report');
    await failed.waitFor();
    expect(await failed.getAttribute('data-ok')).toBe('false');
    const failure = (await failed.textContent()) ?? '';
    expect(failure).toContain('Connection failed');
    expect(failure).toContain('Failed step: Reach the bucket (INVALID_CREDENTIALS)');
    expect(failure).toContain('the provider rejected the credentials');
    expect(await page.content()).not.toContain('a-wrong-secret-0123456789');
    const failedShot = await artefactPath('admin-test-connection-failed.png');
    await rm(failedShot, { force: true });
    await minio.screenshot({ path: failedShot });

    // The form comes back filled in, the secret empty; type the right one.
    expect(
      await page.locator('#provider-minio').getByRole('textbox', { name: 'Bucket', exact: true }).inputValue(),
    ).toBe(bucket);
    expect(
      await page
        .locator('#provider-minio')
        .getByRole('textbox', { name: 'Secret Access Key', exact: true })
        .inputValue(),
    ).toBe('');
    await page
      .locator('#provider-minio')
      .getByRole('textbox', { name: 'Secret Access Key', exact: true })
      .fill(s3.secretAccessKey);
    await page.locator('#provider-minio').getByRole('button', { name: 'Test connection' }).click();
    const passed = page.locator('#provider-minio .probe-report');
    await passed.waitFor();
    expect(await passed.getAttribute('data-ok')).toBe('true');
    expect(await passed.textContent()).toContain(
      'Connection OK: the probe object was uploaded, read back, served by the public URL and deleted.',
    );
    expect(await page.locator('#provider-minio .secret-state').first().textContent()).toContain('A secret is stored.');

    await page.locator('#provider-minio').getByRole('button', { name: 'Enable MinIO' }).click();
    expect(await page.locator('#provider-minio').textContent()).toContain('MinIO is enabled.');

    await page.locator('#default-storage-name').selectOption('minio');
    await page.getByRole('button', { name: 'Use as Default Storage' }).click();
    expect(await page.locator('#notice').textContent()).toContain('Default Storage is now MinIO.');
    expect(world.storage.registry.active().name).toBe('minio');

    await writeFile(join(world.resultsRoot, 'gallery.png'), png(64, 48));
    const outcome = await world.storage.offload({ path: 'gallery.png' });
    expect(outcome).toMatchObject({ status: 'offloaded', location: 'minio:gallery.png' });
    imageUrl = outcome.url ?? '';
    expect(imageUrl).toBe(`${s3.endpoint}/${bucket}/gallery.png`);
    const gallery = await browser.context.newPage();
    await gallery.goto(`${appOrigin}/gallery`);
    await gallery.waitForFunction('document.getElementById("result").complete');
    expect(
      await gallery.evaluate(
        '[document.getElementById("result").naturalWidth, document.getElementById("result").naturalHeight]',
      ),
    ).toEqual([64, 48]);
    await gallery.close();

    await page.goto(`${appOrigin}/admin/storage/`);
    expect(await page.locator('tr[data-state="offloaded"] td.number').textContent()).toBe('1');
    expect(await page.locator('tr[data-target="minio.1"]').textContent()).toContain('minio');
    const screenshot = await artefactPath('admin-settings.png');
    await rm(screenshot, { force: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(cspViolations).toEqual([]);
    expect(world.logger.lines.join('\n')).not.toContain(s3.secretAccessKey);
    await page.close();
  });

  it('saves nothing when the admin presses Save on a form showing a field as [redacted], and says so next to the field', async () => {
    const secret = 'r2-secret-pasted-into-the-prefix-0123';
    await world.storage.registry.saveSettings('r2', {
      accessKeyId: 'AKIA-EXAMPLE',
      secretAccessKey: secret,
      accountId: 'a'.repeat(32),
      bucket: 'media',
      keyPrefix: `${secret}/`,
    });
    const stored = world.storage.registry.provider('r2').settings;
    await browser.context.addCookies([{ name: 'app_session', value: 'admin-1', url: appOrigin }]);
    const page = await browser.context.newPage();
    await page.goto(`${appOrigin}/admin/storage/`);
    // A configured provider's card opens by itself.
    const r2 = page.locator('#provider-r2');
    const prefix = r2.getByRole('textbox', { name: 'Key Prefix', exact: true });
    expect(await prefix.inputValue()).toBe('[redacted]/');
    await r2.getByRole('button', { name: 'Save', exact: true }).click();

    const refused = page.locator('#provider-r2 [role="alert"]');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Not saved: please fix the following.');
    const problem = page.locator('#provider-r2 .field', { has: page.getByRole('textbox', { name: 'Key Prefix' }) });
    expect(await problem.locator('.problem').textContent()).toContain(
      'holds [redacted], which is what a view shows in place of a secret pasted into this field, not its value',
    );
    expect(await page.content()).not.toContain(secret);
    expect(world.storage.registry.provider('r2').settings).toEqual(stored);
    expect(world.storage.registry.targets.targetsOf('r2')).toEqual(['r2.1']);
    await page.close();
  });

  it.each([
    ['another site (localhost)', 'localhost'],
    ['another port of the same host, which receives the session cookie', '127.0.0.1'],
  ])('refuses a form that a page on %s posts to the admin (403), and changes nothing', async (_, host) => {
    const target = `${appOrigin}/admin/storage/default`;
    const attacker = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage(target));
    });
    attackers.push(attacker);
    const port = await listen(attacker, '127.0.0.1');
    const before = world.storage.registry.defaultBackend;
    const page = await browser.context.newPage();
    await page.goto(`http://${host}:${port}/`);
    const answered = page.waitForResponse((response) => response.url() === target);
    await page.getByRole('button', { name: 'Win a prize' }).click();
    const response = await answered;
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('refused: the request was sent by a page of another site');
    expect(world.storage.registry.defaultBackend).toBe(before);
    await page.close();
  });
});
