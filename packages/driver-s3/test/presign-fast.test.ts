/**
 * get-url-signer.ts signs GET URLs from a template instead of running the
 * SDK's pipeline per URL. Proven here against the SDK itself: for the same
 * signing date, every URL is byte-identical to getSignedUrl's, for keys with
 * every kind of character, path-style and virtual-hosted addressing, a custom
 * endpoint with an explicit port, and AWS's own endpoints. (presign.test.ts
 * proves such URLs download from MinIO.)
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { bucketAddressOnce } from '../src/bucket-address.js';
import { GetUrlSigner } from '../src/get-url-signer.js';
import { AWKWARD_KEYS } from './support/awkward-keys.js';

const credentials = { accessKeyId: 'AKIDSTOWAGEEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI-example-secret' };
const signingDate = new Date('2026-12-01T10:20:30Z');

const CLIENTS: Record<string, () => S3Client> = {
  'path-style custom endpoint with port': () =>
    new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials }),
  'https endpoint with an explicit default port': () =>
    new S3Client({
      region: 'auto',
      endpoint: 'https://acct.r2.cloudflarestorage.com:443',
      forcePathStyle: true,
      credentials,
    }),
  'virtual-hosted AWS': () => new S3Client({ region: 'eu-west-1', credentials }),
  'AWS us-east-1': () => new S3Client({ region: 'us-east-1', credentials }),
  'virtual-hosted custom endpoint': () =>
    new S3Client({ region: 'nyc3', endpoint: 'https://nyc3.digitaloceanspaces.com', credentials }),
};

describe('GetUrlSigner', () => {
  for (const [name, makeClient] of Object.entries(CLIENTS)) {
    it(`signs the same URL as getSignedUrl: ${name}`, async () => {
      const client = makeClient();
      const signer = new GetUrlSigner(client, bucketAddressOnce(client, 'media-bucket'));
      try {
        for (const key of AWKWARD_KEYS) {
          for (const expiresIn of [1, 900, 604_800]) {
            const command = new GetObjectCommand({ Bucket: 'media-bucket', Key: key });
            const expected = await getSignedUrl(client, command, { expiresIn, signingDate });
            expect(await signer.sign(key, expiresIn, signingDate), key).toBe(expected);
          }
        }
      } finally {
        client.destroy();
      }
    });
  }

  it('signs with the current time by default, like getSignedUrl', async () => {
    const client = CLIENTS['path-style custom endpoint with port']?.() as S3Client;
    const before = Date.now();
    const url = new URL(await new GetUrlSigner(client, bucketAddressOnce(client, 'media-bucket')).sign('a.bin', 60));
    const stamp = url.searchParams.get('X-Amz-Date') ?? '';
    const signed = Date.parse(stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(signed).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    client.destroy();
  });
});
