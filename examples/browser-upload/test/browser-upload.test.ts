/**
 * The browser upload example end to end, as a user runs it: the example server
 * as a child process against MinIO, driven by headless Chromium. Between the
 * browser and MinIO sits a plain node:http relay that notes every request, so
 * the test sees the CORS preflight (OPTIONS with Access-Control-Request-Method:
 * PUT) really run before the PUT. An image uploads, is recorded in the
 * example's catalog and loads from its signed URL (the bucket is private); a
 * file too large and a type not allowed are refused with the server's message
 * before any request reaches the bucket, and no object appears.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { globSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openSqliteCatalog } from '../../../packages/storage-core/src/index.js';
import { createTestBucket, removeTestBucket } from '../../../packages/testing/src/index.js';
import { artefactPath, type LaunchedChromium, launchChromium } from '../../../test-support/chromium.js';
import { inspectBucket } from '../../../tests/support/s3-inspect.js';

const example = fileURLToPath(new URL('../server.mjs', import.meta.url));
const MAX_BYTES = 64 * 1024;

/** One request that reached the bucket through the relay. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly preflightFor: string | undefined;
}

/** A relay in front of MinIO that forwards every request unchanged (Host included, so signatures hold) and notes it. */
async function startRelay(target: URL, seen: Seen[]): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = req.headers;
    seen.push({
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] as string,
      origin: headers.origin,
      preflightFor: headers['access-control-request-method'] as string | undefined,
    });
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A real 8 x 8 PNG (red), so the page's <img> really decodes it. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(8, 0);
  header.writeUInt32BE(8, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.concat(Array.from({ length: 8 }, () => Buffer.from([0, ...Array(8).fill([255, 0, 0]).flat()])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('examples/browser-upload in headless Chromium against MinIO', () => {
  const s3 = inject('s3');
  const seen: Seen[] = [];
  let bucket: string;
  let bucketView: ReturnType<typeof inspectBucket>;
  let relay: Server;
  let child: ChildProcess;
  let scratch: string;
  let pageUrl: string;
  let browser: LaunchedChromium;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'browser-upload');
    bucketView = inspectBucket(s3, bucket);
    const started = await startRelay(new URL(s3.endpoint), seen);
    relay = started.server;
    scratch = await mkdtemp(join(tmpdir(), 'stowage-browser-upload-test-'));
    child = spawn(process.execPath, [example], {
      env: {
        ...process.env,
        TMPDIR: scratch,
        PORT: '0',
        S3_ENDPOINT: started.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        UPLOAD_MAX_BYTES: String(MAX_BYTES),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    pageUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const url = /browser upload at (http:\/\/\S+)/.exec(output)?.[1];
        if (url) resolve(url);
      });
      child.on('exit', (code) => reject(new Error(`the example exited (${code}) before listening: ${output}`)));
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => relay?.close(resolve));
    bucketView?.close();
    await removeTestBucket(s3, bucket);
    await rm(scratch, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
  });

  async function choose(page: Page, name: string, mimeType: string, buffer: Buffer): Promise<string> {
    await page.goto(pageUrl);
    await page.setInputFiles('#file', { name, mimeType, buffer });
    await page.click('button[type=submit]');
    // A locator, not waitForFunction: the page's CSP forbids the eval that a string function needs.
    await page.locator('#status', { hasText: /^(Uploaded|Refused|Upload failed|Not recorded)/ }).waitFor();
    return (await page.textContent('#status')) ?? '';
  }

  /** The example's own catalog file (it made its folder under TMPDIR). */
  function catalogFile(): string {
    const [file] = globSync('stowage-browser-upload-*/stowage-catalog.sqlite', { cwd: scratch });
    if (!file) throw new Error('the example made no catalog');
    return join(scratch, file);
  }

  it('uploads an image straight to the bucket after a real preflight; it is recorded and loads from its signed URL', async () => {
    const page = await browser.context.newPage();
    const image = png();
    const status = await choose(page, 'cat.png', 'image/png', image);
    expect(status).toBe(`Uploaded cat.png (${image.length} bytes).`);
    expect(await page.evaluate('document.getElementById("preview").naturalWidth')).toBe(8);
    await page.screenshot({ path: await artefactPath('browser-upload.png') });

    const location = (await page.textContent('#location')) ?? '';
    expect(location).toMatch(/^minio:uploads\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.png$/);
    const key = location.slice('minio:'.length);
    // The browser itself talked to the bucket: a preflight for the PUT, then the PUT, both from the page's origin.
    const pageOrigin = new URL(pageUrl).origin;
    const toKey = seen.filter((request) => request.path === `/${bucket}/${key}`);
    expect(toKey.map((request) => [request.method, request.preflightFor, request.origin])).toEqual([
      ['OPTIONS', 'PUT', pageOrigin],
      ['PUT', undefined, pageOrigin],
      ['HEAD', undefined, undefined], // the server's confirmation
      ['GET', undefined, undefined], // the <img> through the signed URL (no Origin: not a CORS request)
    ]);
    expect((await bucketView.view('uploads/')).objects).toEqual([
      { key, size: image.length, sha256: createHash('sha256').update(image).digest('hex') },
    ]);
    const src = (await page.getAttribute('#preview', 'src')) ?? '';
    expect(src).toContain('X-Amz-Signature=');
    expect((await fetch(src.split('?')[0] as string)).status).toBe(403); // private bucket: no signature, no image

    const catalog = await openSqliteCatalog({ file: catalogFile() });
    try {
      expect(await catalog.resolve(location)).toMatchObject({
        state: 'offloaded',
        key,
        localCopy: false,
        files: [{ key, size: image.length, contentType: 'image/png' }],
      });
    } finally {
      await catalog.close();
    }
  });

  it('refuses a file that is too large before any upload: the server’s message, nothing sent to the bucket', async () => {
    const page = await browser.context.newPage();
    const before = (await bucketView.view('')).objects.length;
    const status = await choose(page, 'huge.png', 'image/png', Buffer.alloc(MAX_BYTES * 2));
    expect(status).toBe('Refused: "huge.png" is 128.0 KiB; uploads are limited to 64.0 KiB');
    expect(seen).toEqual([]);
    expect((await bucketView.view('')).objects.length).toBe(before);
  });

  it('refuses a type that is not allowed before any upload, and nothing reaches the bucket', async () => {
    const page = await browser.context.newPage();
    const before = (await bucketView.view('')).objects.length;
    const status = await choose(page, 'notes.txt', 'text/plain', Buffer.from('not an image'));
    expect(status).toBe(
      'Refused: files of type text/plain are not allowed; allowed: image/png, image/jpeg, image/webp, image/gif',
    );
    expect(seen).toEqual([]);
    expect((await bucketView.view('')).objects.length).toBe(before);
  });

  it('answers a cross-site POST with 403, and a confirmation before any upload with 400', async () => {
    const crossSite = await fetch(new URL('/api/uploads', pageUrl), {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: 'a.png', contentType: 'image/png', size: 10 }),
    });
    expect(crossSite.status).toBe(403);
    const origin = new URL(pageUrl).origin;
    const signed = await fetch(new URL('/api/uploads', pageUrl), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: 'a.png', contentType: 'image/png', size: 10 }),
    });
    const { id } = (await signed.json()) as { id: string };
    const early = await fetch(new URL(`/api/uploads/${id}/complete`, pageUrl), { method: 'POST', headers: { origin } });
    expect(early.status).toBe(400);
    expect(await early.json()).toEqual({ error: 'nothing was uploaded yet' });
  });
});
