import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import {
  createS3Proxy,
  createTestBucket,
  createTestS3Client,
  removeTestBucket,
  type S3TestServerInfo,
  startToxiproxy,
  ToxiproxyClient,
  type ToxiproxyProxy,
} from '../src/index.js';

const toxiproxy = await fileToxiproxy();

const s3 = inject('s3');
const KEY = 'through/proxy.txt';
const BODY = 'bytes that crossed the proxy';
const LARGE_KEY = 'through/large.txt';
const LARGE_BODY = 'x'.repeat(64 * 1024);

/** A client for one step: no retries, so each fault shows up as the first attempt's error. */
async function getThrough(info: S3TestServerInfo, bucket: string, key = KEY): Promise<string> {
  const client: S3Client = createTestS3Client(info, info, { maxAttempts: 1 });
  try {
    const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await (read.Body as NonNullable<typeof read.Body>).transformToString();
  } finally {
    client.destroy();
  }
}

async function failureOf(request: Promise<unknown>): Promise<{ name?: string; code?: string; message: string }> {
  try {
    await request;
  } catch (error) {
    return error as { name?: string; code?: string; message: string };
  }
  throw new Error('expected the request to fail');
}

describe('toxiproxy in front of the S3 test server', () => {
  let bucket: string;
  let proxy: ToxiproxyProxy;
  let proxied: S3TestServerInfo;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'toxiproxy');
    const root = createTestS3Client(s3);
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: BODY }));
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: LARGE_KEY, Body: LARGE_BODY }));
    root.destroy();
  });

  afterAll(async () => {
    await removeTestBucket(s3, bucket);
  });

  beforeEach(async () => {
    ({ proxy, info: proxied } = await createS3Proxy(toxiproxy, s3));
  });

  afterEach(async () => {
    await proxy.delete();
  });

  it('passes requests through unchanged', async () => {
    expect(proxied.endpoint).not.toBe(s3.endpoint);
    expect(await getThrough(proxied, bucket)).toBe(BODY);
  });

  it('makes requests fail with a reset_peer toxic, and recover when it is removed', async () => {
    const toxic = await proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
    const failure = await failureOf(getThrough(proxied, bucket));
    expect(failure.code).toBe('ECONNRESET');
    await proxy.removeToxic(toxic.name);
    expect(await getThrough(proxied, bucket)).toBe(BODY);
  });

  it('cuts a download off mid-body with a limit_data toxic', async () => {
    await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 4096 } });
    expect((await proxy.state()).toxics.map((t) => t.type)).toEqual(['limit_data']);
    const failure = await failureOf(getThrough(proxied, bucket, LARGE_KEY));
    expect(failure.code).toBe('ECONNRESET');
    await proxy.removeAllToxics();
    expect(await getThrough(proxied, bucket, LARGE_KEY)).toBe(LARGE_BODY);
  });

  it('delays responses with a latency toxic', async () => {
    await proxy.addToxic({ type: 'latency', attributes: { latency: 400 } });
    const started = performance.now();
    expect(await getThrough(proxied, bucket)).toBe(BODY);
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('refuses connections while disabled and serves again once re-enabled', async () => {
    await proxy.disable();
    const failure = await failureOf(getThrough(proxied, bucket));
    expect(failure.code).toBe('ECONNREFUSED');
    await proxy.enable();
    expect(await getThrough(proxied, bucket)).toBe(BODY);
  });

  it('keeps proxies of different tests apart', async () => {
    const { proxy: other } = await createS3Proxy(toxiproxy, s3);
    try {
      await other.disable();
      expect(other.name).not.toBe(proxy.name);
      expect(await getThrough(proxied, bucket)).toBe(BODY);
    } finally {
      await other.delete();
    }
    const names = Object.keys(await toxiproxy.listProxies());
    expect(names).toContain(proxy.name);
    expect(names).not.toContain(other.name);
  });

  it('switches a toxic off and on in place with updateToxic, and checks the new settings first', async () => {
    const toxic = await proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 }, toxicity: 0 });
    expect(await getThrough(proxied, bucket)).toBe(BODY);
    expect(await proxy.updateToxic(toxic.name, { toxicity: 1 })).toMatchObject({ toxicity: 1, type: 'reset_peer' });
    expect((await failureOf(getThrough(proxied, bucket))).code).toBe('ECONNRESET');
    await proxy.updateToxic(toxic.name, { toxicity: 0 });
    expect(await getThrough(proxied, bucket)).toBe(BODY);
    await expect(proxy.updateToxic(toxic.name, { toxicity: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const slicer = await proxy.addToxic({ type: 'slicer', attributes: { average_size: 64, size_variation: 8 } });
    await expect(proxy.updateToxic(slicer.name, { attributes: { size_variation: 64 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect((await proxy.state()).toxics.map((t) => [t.name, t.toxicity])).toEqual([
      [toxic.name, 0],
      [slicer.name, 1],
    ]);
  });

  it('rejects bad toxic settings before calling the API', async () => {
    await expect(proxy.addToxic({ type: 'latency', attributes: { latency: -5 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('"latency"'),
    });
    expect((await proxy.state()).toxics).toEqual([]);
  });

  it('refuses a slicer that would crash toxiproxy 2.12, before calling the API, and the server stays up', async () => {
    for (const attributes of [
      { average_size: 100, size_variation: 100 },
      { average_size: 100, size_variation: 150 },
      { average_size: 0 },
    ]) {
      await expect(proxy.addToxic({ type: 'slicer', attributes })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/slicer (size_variation|average_size)/),
      });
    }
    expect((await proxy.state()).toxics).toEqual([]);
    await proxy.addToxic({ type: 'slicer', attributes: { average_size: 100, size_variation: 99 } });
    expect(await getThrough(proxied, bucket, LARGE_KEY)).toBe(LARGE_BODY);
  });

  it('reports API errors with the server message and status', async () => {
    await expect(toxiproxy.createProxy({ upstream: s3.endpoint, name: proxy.name })).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('proxy already exists'),
    });
  });
});

describe('startToxiproxy', () => {
  it('starts a server whose API answers, and stops it', async () => {
    const server = await startToxiproxy();
    const client = new ToxiproxyClient(server.apiUrl);
    expect(server.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await client.listProxies()).toEqual({});
    await server.stop();
    await expect(client.listProxies()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('unreachable'),
    });
  });

  it('says how to install toxiproxy when the binary is missing', async () => {
    await expect(startToxiproxy({ binary: '/nonexistent/toxiproxy-server' })).rejects.toMatchObject({
      code: 'MISCONFIGURED',
      message: expect.stringContaining('go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0'),
    });
  });
});
