import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, readText, type SuiteContext } from './suite-context.js';

/** Presigned GET/PUT through plain fetch, and public URLs; UNSUPPORTED where the driver lacks them. */
export function describeUrls(ctx: SuiteContext): void {
  describe('presigned and public URLs', () => {
    describePresigned(ctx);
    describePublic(ctx);
  });
}

function describePresigned(ctx: SuiteContext): void {
  const presigning = () => ctx.driver().capabilities.presignedUrls;

  it('a presigned GET downloads the object with plain fetch until it expires', async () => {
    if (!presigning()) return expectUnsupportedGet(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-get')}report final+1.txt`;
    await driver.write(key, 'downloadable', { contentType: 'text/plain' });
    const before = Date.now();
    const signed = await driver.presignGet(key, { expiresIn: 300 });
    expect(signed.method).toBe('GET');
    expect(Math.abs(signed.expiresAt.getTime() - (before + 300_000))).toBeLessThan(60_000);
    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('downloadable');
  });

  it('a presigned GET honours the requested content-disposition', async () => {
    if (!presigning()) return expectUnsupportedGet(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-disposition')}image.png`;
    await driver.write(key, 'png bytes');
    const disposition = 'attachment; filename="result.png"';
    const signed = await driver.presignGet(key, { contentDisposition: disposition });
    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(disposition);
    expect(await response.text()).toBe('png bytes');
  });

  it('a presigned GET of a missing key answers 404', async () => {
    if (!presigning()) return expectUnsupportedGet(ctx);
    const signed = await ctx.driver().presignGet(`${ctx.scope('presign-missing')}nothing.txt`);
    expect((await fetch(signed.url)).status).toBe(404);
  });

  it('a presigned GET is refused once it has expired', async () => {
    if (!presigning()) return expectUnsupportedGet(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-expired')}short-lived.txt`;
    await driver.write(key, 'CONTENT-BEHIND-AN-EXPIRED-LINK');
    const signed = await driver.presignGet(key, { expiresIn: 1 });
    await delay(2500);
    const response = await fetch(signed.url);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('CONTENT-BEHIND-AN-EXPIRED-LINK');
  });

  it('a presigned GET edited to point at another key is refused with 403', async () => {
    if (!presigning()) return expectUnsupportedGet(ctx);
    const driver = ctx.driver();
    const scope = ctx.scope('presign-tamper');
    await driver.write(`${scope}shared-by-link.txt`, 'shared');
    await driver.write(`${scope}kept-private.txt`, 'CONTENT-NEVER-SHARED');
    const signed = await driver.presignGet(`${scope}shared-by-link.txt`);
    expect(signed.url).toContain('shared-by-link.txt');
    const response = await fetch(signed.url.replace('shared-by-link.txt', 'kept-private.txt'));
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('CONTENT-NEVER-SHARED');
  });

  it('a presigned PUT uploads with plain fetch and the returned headers, and the object reads back', async () => {
    if (!presigning()) return expectUnsupportedPut(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-put')}upload é+1.png`;
    const body = new TextEncoder().encode('browser upload body');
    const signed = await driver.presignPut(key, { contentType: 'image/png', contentLength: body.length });
    expect(signed.method).toBe('PUT');
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    expect(await readText(driver, key)).toBe('browser upload body');
    const stat = await driver.stat(key);
    expect(stat.contentType).toBe('image/png');
    expect(stat.size).toBe(body.length);
  });

  it('a presigned PUT refuses a body of another length than the signed one and stores nothing', async () => {
    if (!presigning()) return expectUnsupportedPut(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-put-length')}upload.png`;
    const signed = await driver.presignPut(key, { contentType: 'image/png', contentLength: 10 });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'twenty bytes of body' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await driver.exists(key)).toBe(false);
  });

  it('a presigned PUT refuses another content type than the signed one and stores nothing', async () => {
    if (!presigning()) return expectUnsupportedPut(ctx);
    const driver = ctx.driver();
    const key = `${ctx.scope('presign-put-type')}upload.png`;
    const body = 'ten bytes!';
    const signed = await driver.presignPut(key, { contentType: 'image/png', contentLength: body.length });
    const response = await fetch(signed.url, {
      method: 'PUT',
      headers: { ...signed.headers, 'content-type': 'text/html' },
      body,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await driver.exists(key)).toBe(false);
  });
}

async function expectUnsupportedGet(ctx: SuiteContext): Promise<void> {
  await expectStorageError(() => ctx.driver().presignGet('unsupported.txt'), ErrorCode.Unsupported);
}

async function expectUnsupportedPut(ctx: SuiteContext): Promise<void> {
  await expectStorageError(
    () => ctx.driver().presignPut('unsupported.txt', { contentType: 'text/plain', contentLength: 1 }),
    ErrorCode.Unsupported,
  );
}

function describePublic(ctx: SuiteContext): void {
  it('publicUrl gives an absolute URL carrying the key, or throws UNSUPPORTED without a public base', async () => {
    const driver = ctx.driver();
    const key = `${ctx.scope('public')}dir/ünï cødé+%.png`;
    if (!driver.capabilities.publicUrls) {
      await expectStorageError(() => driver.publicUrl(key), ErrorCode.Unsupported);
      return;
    }
    await driver.write(key, 'public body');
    const url = new URL(driver.publicUrl(key));
    expect(['http:', 'https:']).toContain(url.protocol);
    expect(url.search).toBe('');
    expect(decodeURIComponent(url.pathname).endsWith(`/${key}`)).toBe(true);
    if (ctx.options.fetchPublicUrls) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('public body');
    }
  });
}
