/**
 * The exact requests the R2 driver builds, per endpoint form and setting. The
 * real SDK builds and signs them; an SDK middleware records them as built and a
 * real local HTTP server receives them (R2 itself is not reachable from tests).
 */
import { Readable } from 'node:stream';
import type { S3Driver } from '@stowage/driver-s3';
import { ErrorCode } from '@stowage/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltRequest,
  type RecordingS3Server,
  routeClientTo,
  startRecordingS3Server,
} from '../../driver-s3/test/support/recording-s3-server.js';
import { createR2Driver, type R2SettingsInput, r2DriverDefinition } from '../src/index.js';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const creds = { accessKeyId: 'a'.repeat(32), secretAccessKey: 'r2-secret-access-key-value' };
const MiB = 1024 * 1024;

let server: RecordingS3Server;
beforeAll(async () => {
  server = await startRecordingS3Server();
});
afterAll(async () => {
  await server.close();
});

/** Writes a small object and a 9 MiB stream through the driver; returns what was built and received. */
async function requestsOf(settings: R2SettingsInput) {
  const driver = createR2Driver(settings);
  const built: BuiltRequest[] = [];
  routeClientTo(driver.client, server, built);
  const receivedBefore = server.requests.length;
  try {
    await driver.write('images/cat.png', Buffer.from('cat'), { metadata: { origin: 'r2-test' } });
    await driver.write('videos/clip.mp4', Readable.from([Buffer.alloc(6 * MiB, 1), Buffer.alloc(3 * MiB, 2)]));
    const presignedPut = await driver.presignPut('uploads/new.png', { contentType: 'image/png', contentLength: 3 });
    const presignedGet = await driver.presignGet('images/cat.png');
    return { built, received: server.requests.slice(receivedBefore), presignedPut, presignedGet, driver };
  } finally {
    await driver.close();
  }
}

function hostAndPath(request: BuiltRequest): string {
  return `${request.headers.host}${request.path}`;
}

describe('R2 endpoint forms on the wire', () => {
  it.each([
    [
      'account id, path-style when asked',
      { accountId: ACCOUNT, bucket: 'media', forcePathStyle: true },
      `${ACCOUNT}.r2.cloudflarestorage.com/media/images/cat.png`,
    ],
    [
      'account id in the eu jurisdiction, path-style when asked',
      { accountId: ACCOUNT, jurisdiction: 'eu', bucket: 'media', forcePathStyle: true },
      `${ACCOUNT}.eu.r2.cloudflarestorage.com/media/images/cat.png`,
    ],
    [
      'account id in the fedramp jurisdiction, path-style when asked',
      { accountId: ACCOUNT, jurisdiction: 'fedramp', bucket: 'media', forcePathStyle: true },
      `${ACCOUNT}.fedramp.r2.cloudflarestorage.com/media/images/cat.png`,
    ],
    [
      'bucket-specific endpoint URL, path-style when asked',
      { endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com/media`, forcePathStyle: true },
      `${ACCOUNT}.r2.cloudflarestorage.com/media/images/cat.png`,
    ],
    [
      'custom endpoint, path-style when asked',
      { endpoint: 'https://r2-gateway.example.net', bucket: 'media', forcePathStyle: true },
      'r2-gateway.example.net/media/images/cat.png',
    ],
    [
      'virtual-hosted (path-style off)',
      { accountId: ACCOUNT, bucket: 'media', forcePathStyle: false },
      `media.${ACCOUNT}.r2.cloudflarestorage.com/images/cat.png`,
    ],
    [
      'key prefix, path-style when asked',
      { accountId: ACCOUNT, bucket: 'media', keyPrefix: 'site-a', forcePathStyle: true },
      `${ACCOUNT}.r2.cloudflarestorage.com/media/site-a/images/cat.png`,
    ],
    // The defaults: virtual-hosted, as Cloudflare's guide has it for standard R2 buckets.
    [
      'account id (default)',
      { accountId: ACCOUNT, bucket: 'media' },
      `media.${ACCOUNT}.r2.cloudflarestorage.com/images/cat.png`,
    ],
    [
      'account id in the eu jurisdiction (default)',
      { accountId: ACCOUNT, jurisdiction: 'eu', bucket: 'media' },
      `media.${ACCOUNT}.eu.r2.cloudflarestorage.com/images/cat.png`,
    ],
    [
      'bucket-specific endpoint URL (default)',
      { endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com/media` },
      `media.${ACCOUNT}.r2.cloudflarestorage.com/images/cat.png`,
    ],
    [
      'key prefix (default)',
      { accountId: ACCOUNT, bucket: 'media', keyPrefix: 'site-a' },
      `media.${ACCOUNT}.r2.cloudflarestorage.com/site-a/images/cat.png`,
    ],
  ] as const)('%s: PutObject goes to %s', async (_form, settings, expected) => {
    const { built } = await requestsOf({ ...creds, ...settings } as R2SettingsInput);
    const put = built[0];
    expect(put && hostAndPath(put)).toBe(expected);
    expect(put?.protocol).toBe('https:');
  });

  it('through the registry definition: virtual-hosted by default, path-style only when the settings ask', async () => {
    const hostOf = async (input: Record<string, unknown>) => {
      // The definition's factory returns the S3 driver R2 is built on; its client is what gets routed.
      const driver = r2DriverDefinition.create(r2DriverDefinition.schema.parse({ ...creds, ...input })) as S3Driver;
      const built: BuiltRequest[] = [];
      routeClientTo(driver.client, server, built);
      try {
        await driver.write('images/cat.png', 'cat');
        return built[0] && hostAndPath(built[0]);
      } finally {
        await driver.close();
      }
    };
    expect(await hostOf({ accountId: ACCOUNT, bucket: 'media' })).toBe(
      `media.${ACCOUNT}.r2.cloudflarestorage.com/images/cat.png`,
    );
    expect(await hostOf({ accountId: ACCOUNT, bucket: 'media', forcePathStyle: true })).toBe(
      `${ACCOUNT}.r2.cloudflarestorage.com/media/images/cat.png`,
    );
  });
});

describe('R2 rules on every request', () => {
  it('signs for region auto, sends no ACL, tagging, checksum or Expect header, even for multipart', async () => {
    const { built, received } = await requestsOf({ ...creds, accountId: ACCOUNT, bucket: 'media' });
    expect(
      built.map(
        (r) =>
          `${
            Object.keys(r.query)
              .filter((q) => q !== 'x-id')
              .join('&') || '-'
          }`,
      ),
    ).toEqual(['-', 'uploads', 'uploadId&partNumber', 'uploadId&partNumber', 'uploadId']);
    for (const request of built) {
      expect(request.headers.authorization).toMatch(/Credential=a{32}\/\d{8}\/auto\/s3\/aws4_request/);
      const names = Object.keys(request.headers);
      expect(names.filter((name) => /^x-amz-(acl|tagging|grant|checksum|sdk-checksum|trailer)/.test(name))).toEqual([]);
      expect(names).not.toContain('expect');
    }
    // On the wire too: the 8 MiB part arrived with its exact length and no Expect header.
    const part = received.find((r) => r.query.get('partNumber') === '1');
    expect(part?.headers.expect).toBeUndefined();
    expect(part?.headers['content-length']).toBe(String(8 * MiB));
    expect(part?.headers['transfer-encoding']).toBeUndefined();
    expect(received[0]?.headers['x-amz-meta-origin']).toBe('r2-test');
  });

  it('presigns on the r2.cloudflarestorage.com endpoint even when a public domain is configured', async () => {
    const { presignedPut, presignedGet } = await requestsOf({
      ...creds,
      accountId: ACCOUNT,
      bucket: 'media',
      publicBaseUrl: 'https://files.example.com',
      forcePathStyle: true,
    });
    for (const signed of [presignedPut, presignedGet]) {
      const url = new URL(signed.url);
      expect(url.host).toBe(`${ACCOUNT}.r2.cloudflarestorage.com`);
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/\/auto\/s3\/aws4_request$/);
    }
    expect(new URL(presignedPut.url).pathname).toBe('/media/uploads/new.png');
    expect(new URL(presignedPut.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
  });

  it('presigns virtual-hosted on the bucket host under r2.cloudflarestorage.com by default', async () => {
    const { presignedPut } = await requestsOf({
      ...creds,
      accountId: ACCOUNT,
      bucket: 'media',
      publicBaseUrl: 'https://files.example.com',
    });
    const url = new URL(presignedPut.url);
    expect(url.host).toBe(`media.${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(url.pathname).toBe('/uploads/new.png');
  });

  it('builds public URLs from the r2.dev or custom-domain base without the bucket name', () => {
    const dev = createR2Driver({
      ...creds,
      accountId: ACCOUNT,
      bucket: 'media',
      publicBaseUrl: 'https://pub-8f2c1d.r2.dev/',
      keyPrefix: 'site-a',
    });
    expect(dev.publicUrl('images/a cat.png')).toBe('https://pub-8f2c1d.r2.dev/site-a/images/a%20cat.png');
    expect(dev.capabilities.publicUrls).toBe(true);
    const custom = createR2Driver({
      ...creds,
      accountId: ACCOUNT,
      bucket: 'media',
      publicBaseUrl: 'https://cdn.example.com',
    });
    expect(custom.publicUrl('x.png')).toBe('https://cdn.example.com/x.png');
  });

  it('refuses a public URL with a clear error when no public base is configured', () => {
    const driver = createR2Driver({ ...creds, accountId: ACCOUNT, bucket: 'media' });
    expect(driver.capabilities.publicUrls).toBe(false);
    expect(() => driver.publicUrl('x.png')).toThrow(
      expect.objectContaining({ code: ErrorCode.Unsupported, message: expect.stringMatching(/publicBaseUrl/) }),
    );
  });
});
