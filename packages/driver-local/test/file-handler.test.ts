import { request } from 'node:http';
import { ErrorCode } from '@stowage/storage-core';
import { listKeys, readText } from '@stowage/storage-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalUrl, verifyLocalSignedUrl } from '../src/index.js';
import { treeOf } from './fs-helpers.js';
import { type ServedLocalDriver, startServedLocalDriver, TEST_SECRET } from './local-server.js';

let served: ServedLocalDriver;

beforeAll(async () => {
  served = await startServedLocalDriver();
});

afterAll(async () => {
  await served.stop();
});

const now = () => Math.floor(Date.now() / 1000);

describe('createLocalFileHandler: downloads', () => {
  it('serves a presigned GET with the stored type, etag, length and cache-control', async () => {
    const { driver } = served;
    await driver.write('dl/a.txt', 'hello handler', { cacheControl: 'public, max-age=60' });
    const response = await fetch((await driver.presignGet('dl/a.txt')).url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('content-length')).toBe('13');
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('etag')).toBe((await driver.stat('dl/a.txt')).etag);
    expect(await response.text()).toBe('hello handler');
  });

  it('answers HEAD on a GET URL with headers and no body', async () => {
    await served.driver.write('dl/head.txt', '12345');
    const response = await fetch((await served.driver.presignGet('dl/head.txt')).url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('5');
    expect(await response.text()).toBe('');
  });

  it('serves single byte ranges, suffix ranges, and 416 past the end', async () => {
    await served.driver.write('dl/range.txt', 'abcdefghij');
    const { url } = await served.driver.presignGet('dl/range.txt');
    const middle = await fetch(url, { headers: { range: 'bytes=2-4' } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await middle.text()).toBe('cde');
    const suffix = await fetch(url, { headers: { range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('hij');
    const open = await fetch(url, { headers: { range: 'bytes=8-' } });
    expect(await open.text()).toBe('ij');
    const past = await fetch(url, { headers: { range: 'bytes=10-12' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */10');
  });

  it('answers 404 for a validly signed URL to a missing object', async () => {
    const response = await fetch((await served.driver.presignGet('dl/missing.txt')).url);
    expect(response.status).toBe(404);
  });

  it('refuses an expired URL with 403', async () => {
    await served.driver.write('dl/old.txt', 'old');
    const url = signLocalUrl(TEST_SECRET, served.baseUrl, { method: 'GET', key: 'dl/old.txt', expires: now() - 5 });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('expired');
  });

  it('refuses a URL whose key, expiry or disposition was tampered with (403)', async () => {
    await served.driver.write('dl/private.txt', 'private');
    await served.driver.write('dl/public.txt', 'public');
    const { url } = await served.driver.presignGet('dl/public.txt', { expiresIn: 60 });
    const otherKey = url.replace('/dl/public.txt', '/dl/private.txt');
    const longer = new URL(url);
    longer.searchParams.set('X-Stowage-Expires', String(now() + 999_999));
    const disposition = new URL(url);
    disposition.searchParams.set('response-content-disposition', 'attachment; filename="evil.html"');
    const unsigned = new URL(url);
    unsigned.searchParams.delete('X-Stowage-Signature');
    for (const tampered of [otherKey, longer.toString(), disposition.toString(), unsigned.toString()]) {
      const response = await fetch(tampered);
      expect(response.status, tampered).toBe(403);
      expect(await response.text()).not.toContain('private');
    }
  });

  it('refuses a URL signed with another secret (403)', async () => {
    await served.driver.write('dl/s.txt', 's');
    const url = signLocalUrl('another-secret-of-enough-length-000000', served.baseUrl, {
      method: 'GET',
      key: 'dl/s.txt',
      expires: now() + 60,
    });
    expect((await fetch(url)).status).toBe(403);
  });

  it('answers 404 outside its base path', async () => {
    const response = await fetch(served.baseUrl.replace('/files', '/elsewhere/a.txt'));
    expect(response.status).toBe(404);
  });
});

describe('createLocalFileHandler: uploads', () => {
  it('stores a presigned PUT atomically with the signed content type', async () => {
    const signed = await served.driver.presignPut('up/ok.png', { contentType: 'image/png', contentLength: 8 });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'PNGBYTES' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe((await served.driver.stat('up/ok.png')).etag);
    expect(await readText(served.driver, 'up/ok.png')).toBe('PNGBYTES');
    expect((await served.driver.stat('up/ok.png')).contentType).toBe('image/png');
  });

  it('refuses, writing nothing: GET on a PUT URL, PUT on a GET URL, wrong length, wrong or missing type, expired', async () => {
    const put = await served.driver.presignPut('up/refused.bin', { contentType: 'image/png', contentLength: 4 });
    const get = await served.driver.presignGet('up/refused.bin');
    const expired = signLocalUrl(TEST_SECRET, served.baseUrl, {
      method: 'PUT',
      key: 'up/refused.bin',
      expires: now() - 1,
      contentType: 'image/png',
      contentLength: 4,
    });
    const attempts: Array<[string, number, Promise<Response>]> = [
      ['GET on a PUT URL', 403, fetch(put.url)],
      ['PUT on a GET URL', 403, fetch(get.url, { method: 'PUT', headers: put.headers, body: 'abcd' })],
      ['a longer body', 400, fetch(put.url, { method: 'PUT', headers: put.headers, body: 'abcde' })],
      ['a shorter body', 400, fetch(put.url, { method: 'PUT', headers: put.headers, body: 'abc' })],
      ['another type', 400, fetch(put.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: 'abcd' })],
      ['no type', 400, fetch(put.url, { method: 'PUT', body: new Uint8Array(4) })],
      ['an expired URL', 403, fetch(expired, { method: 'PUT', headers: put.headers, body: 'abcd' })],
    ];
    for (const [why, status, pending] of attempts) {
      expect((await pending).status, why).toBe(status);
    }
    expect(await served.driver.exists('up/refused.bin')).toBe(false);
    expect(await listKeys(served.driver, 'up/refused')).toEqual([]);
  });

  it('stores nothing when the client drops the connection mid-upload', async () => {
    const signed = await served.driver.presignPut('up/dropped.bin', {
      contentType: 'application/octet-stream',
      contentLength: 1_000_000,
    });
    const url = new URL(signed.url);
    await new Promise<void>((resolve) => {
      const req = request(url, {
        method: 'PUT',
        headers: { ...signed.headers, 'content-length': '1000000' },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(200_000), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
    });
    // The server notices the closed socket and cleans up; on a loaded machine that can take a while.
    const temps = async () => (await treeOf(served.root)).filter((path) => path.includes('.stowage-tmp-'));
    for (let waited = 0; waited < 5000 && (await temps()).length > 0; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await served.driver.exists('up/dropped.bin')).toBe(false);
    expect(await temps()).toEqual([]);
  });
});

describe('verifyLocalSignedUrl', () => {
  const options = { secret: TEST_SECRET, basePath: '/files' };

  it('accepts a fresh URL and returns the signed claims', () => {
    const url = signLocalUrl(TEST_SECRET, 'https://app.example/files/', {
      method: 'PUT',
      key: 'a b/ü+.png',
      expires: now() + 60,
      contentType: 'image/png',
      contentLength: 3,
    });
    const verdict = verifyLocalSignedUrl(
      { method: 'PUT', url, headers: { 'content-type': 'image/png', 'content-length': '3' } },
      options,
    );
    expect(verdict).toEqual({
      ok: true,
      claims: expect.objectContaining({ method: 'PUT', key: 'a b/ü+.png', contentType: 'image/png', contentLength: 3 }),
    });
  });

  it('finds the key with an empty base path, as under an Express mount that strips its prefix', () => {
    const url = signLocalUrl(TEST_SECRET, 'https://app.example/files', {
      method: 'GET',
      key: 'a b/c+d.png',
      expires: now() + 60,
    });
    const stripped = url.slice(url.indexOf('/files') + '/files'.length);
    const verdict = verifyLocalSignedUrl({ method: 'GET', url: stripped }, { secret: TEST_SECRET, basePath: '' });
    expect(verdict).toMatchObject({ ok: true, claims: { key: 'a b/c+d.png' } });
  });

  it('uses the given clock for expiry', () => {
    const url = signLocalUrl(TEST_SECRET, 'https://app.example/files', { method: 'GET', key: 'k', expires: 1000 });
    expect(verifyLocalSignedUrl({ method: 'GET', url }, { ...options, now: new Date(999_000) }).ok).toBe(true);
    expect(verifyLocalSignedUrl({ method: 'GET', url }, { ...options, now: new Date(1_001_000) })).toEqual({
      ok: false,
      status: 403,
      reason: 'the URL has expired',
    });
  });

  it('refuses a path key that breaks the key rules with 400', () => {
    const verdict = verifyLocalSignedUrl({ method: 'GET', url: '/files/a%5Cb?X-Stowage-Method=GET' }, options);
    expect(verdict).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('backslash') });
  });

  it('reports UNSUPPORTED from a driver without signing settings', async () => {
    const { LocalDriver } = await import('../src/index.js');
    const driver = new LocalDriver({ root: served.root });
    expect(() => driver.verifySignedRequest({ method: 'GET', url: '/files/a' })).toThrow(
      expect.objectContaining({ code: ErrorCode.Unsupported }),
    );
  });
});
