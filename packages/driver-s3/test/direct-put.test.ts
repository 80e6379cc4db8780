/**
 * direct-put.ts sends small PutObjects without the SDK's pipeline. Proven here
 * against the SDK itself: for every addressing style (IPv6 too), key and parameter, the
 * request it builds is the SDK's PutObject (same host, path, query and headers)
 * less the SDK's own bookkeeping headers; and against MinIO, every way a PUT
 * fails maps to the same StorageError as the SDK's failure, and a server that
 * is not S3 is told apart the same way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, type StorageError } from '@stowage/storage-core';
import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bucketAddressOnce } from '../src/bucket-address.js';
import { DirectPut, putHeaders } from '../src/direct-put.js';
import { outcomeUnknown, toStorageError } from '../src/errors.js';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { AWKWARD_KEYS } from './support/awkward-keys.js';
import { minioSettings } from './support/minio-settings.js';
import {
  type BuiltRequest,
  type RecordingS3Server,
  routeClientTo,
  startRecordingS3Server,
} from './support/recording-s3-server.js';

const credentials = { accessKeyId: 'AKIDSTOWAGEEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI-example-secret' };

/** Headers only the SDK's pipeline adds (its user agent, invocation id and attempt count) or that change per request. */
const SDK_BOOKKEEPING = ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent', 'user-agent'];
const VOLATILE = ['authorization', 'x-amz-date'];

const PARAMS: Omit<PutObjectCommandInput, 'Bucket' | 'Key'>[] = [
  { ContentType: 'image/png', ContentLength: 10 },
  {
    ContentType: 'video/mp4',
    ContentLength: 10,
    CacheControl: 'public, max-age=31536000, immutable',
    ContentDisposition: 'attachment; filename="clip.mp4"',
    Metadata: { origin: 'render-7', sha256: 'ab'.repeat(32) },
    IfNoneMatch: '*',
    ACL: 'public-read',
    StorageClass: 'STANDARD_IA',
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/example',
  },
];

/** The driver's checksum mode, the only one direct PUT serves (client.ts). */
const base = {
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

const CLIENTS: Record<string, () => S3Client> = {
  'path-style custom endpoint with port': () =>
    new S3Client({ ...base, region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }),
  'R2: https endpoint with an explicit default port': () =>
    new S3Client({
      ...base,
      region: 'auto',
      endpoint: 'https://acct.r2.cloudflarestorage.com:443',
      forcePathStyle: true,
    }),
  'path-style IPv6 endpoint': () =>
    new S3Client({ ...base, region: 'us-east-1', endpoint: 'http://[::1]:9000', forcePathStyle: true }),
  'virtual-hosted AWS': () => new S3Client({ ...base, region: 'eu-west-1' }),
  'virtual-hosted custom endpoint': () =>
    new S3Client({ ...base, region: 'nyc3', endpoint: 'https://nyc3.digitaloceanspaces.com' }),
};

/** A built request without what may differ: the SDK's bookkeeping headers, the date and the signature. */
function comparable(request: BuiltRequest) {
  const headers = { ...request.headers };
  for (const name of [...SDK_BOOKKEEPING, ...VOLATILE]) delete headers[name];
  const signed = /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')?.[1]?.split(';') ?? [];
  const scope = /Credential=[^/]+\/\d+\/([^/]+\/[^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
  const { protocol, hostname, port, path, query } = request;
  return {
    protocol,
    hostname,
    port,
    path,
    query,
    headers,
    scope,
    signed: signed.filter((h) => !SDK_BOOKKEEPING.includes(h)),
  };
}

describe('the request direct PUT builds', () => {
  let recorder: RecordingS3Server;
  beforeAll(async () => {
    recorder = await startRecordingS3Server();
  });
  afterAll(async () => {
    await recorder.close();
  });

  for (const [name, makeClient] of Object.entries(CLIENTS)) {
    it(`is the SDK's PutObject less its bookkeeping headers: ${name}`, async () => {
      const client = makeClient();
      const built: BuiltRequest[] = [];
      routeClientTo(client, recorder, built);
      const direct = new DirectPut(client, bucketAddressOnce(client, 'media-bucket'));
      try {
        for (const key of AWKWARD_KEYS) {
          for (const params of PARAMS) {
            const input = { Bucket: 'media-bucket', Key: key, ...params };
            const body = Buffer.from('ten bytes!');
            const sdk = await client.send(new PutObjectCommand({ ...input, Body: body }));
            const own = await direct.send(input, body, undefined, undefined);
            expect(own.ETag).toBe(sdk.ETag);
            const [viaSdk, viaDirect] = built.splice(0).map(comparable);
            expect(viaDirect, key).toEqual(viaSdk);
          }
        }
      } finally {
        client.destroy();
      }
    });
  }

  it('signs a SHA-256 it is given as the payload hash instead of hashing the body', async () => {
    const client = CLIENTS['path-style custom endpoint with port']?.() as S3Client;
    const built: BuiltRequest[] = [];
    routeClientTo(client, recorder, built);
    const direct = new DirectPut(client, bucketAddressOnce(client, 'media-bucket'));
    await direct.send({ Bucket: 'media-bucket', Key: 'a.bin' }, Buffer.from('x'), 'cd'.repeat(32), undefined);
    expect(built[0]?.headers['x-amz-content-sha256']).toBe('cd'.repeat(32));
    expect(built[0]?.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    client.destroy();
  });

  it('refuses a parameter it does not know how to send, before any request', () => {
    expect(() => putHeaders({ Bucket: 'b', Key: 'k', ChecksumSHA256: 'abc' })).toThrow(
      'direct PutObject does not send the ChecksumSHA256 parameter',
    );
  });
});

describe('a direct PUT that fails, against MinIO', () => {
  const server = inject('s3');
  let bucket: string;
  let driver: S3Driver;

  beforeAll(async () => {
    bucket = await createTestBucket(server, 's3-direct-put');
    driver = createS3Driver({ ...minioSettings(server, bucket), retries: 0 });
  });
  afterAll(async () => {
    await driver.close();
    await removeTestBucket(server, bucket);
  });

  /** The StorageError each path's failure maps to, for the same request on `client`. */
  async function bothFailures(client: S3Client, input: PutObjectCommandInput & { Bucket: string; Key: string }) {
    const context = { operation: 'write', bucket: input.Bucket, key: input.Key };
    const body = Buffer.from('failing body');
    const sdk = await client.send(new PutObjectCommand({ ...input, Body: body })).then(
      () => undefined,
      (error: unknown) => ({ mapped: toStorageError(error, context), unknown: outcomeUnknown(error) }),
    );
    const direct = new DirectPut(client, bucketAddressOnce(client, input.Bucket));
    const own = await direct.send(input, body, undefined, undefined).then(
      () => undefined,
      (error: unknown) => ({ mapped: toStorageError(error, context), unknown: outcomeUnknown(error) }),
    );
    return { sdk, own };
  }

  const summary = (failure: { mapped: StorageError; unknown: boolean } | undefined) =>
    failure && {
      code: failure.mapped.code,
      status: failure.mapped.status,
      s3Code: failure.mapped.details?.s3Code,
      uncertain: failure.unknown,
    };

  it('maps a missing bucket, rejected credentials and an existing key under If-None-Match as the SDK does', async () => {
    await driver.write('exists.txt', Buffer.from('here'));
    const wrongSecret = createS3Driver({ ...minioSettings(server, bucket), secretAccessKey: 'not-the-secret' });
    const cases = [
      { client: driver.client, input: { Bucket: `${bucket}-missing`, Key: 'a.txt' }, code: ErrorCode.BucketNotFound },
      { client: wrongSecret.client, input: { Bucket: bucket, Key: 'a.txt' }, code: ErrorCode.InvalidCredentials },
      {
        client: driver.client,
        input: { Bucket: bucket, Key: 'exists.txt', IfNoneMatch: '*' },
        code: ErrorCode.PreconditionFailed,
      },
    ];
    try {
      for (const { client, input, code } of cases) {
        const { sdk, own } = await bothFailures(client, input);
        expect(summary(own), input.Key).toEqual(summary(sdk));
        expect(own?.mapped.code).toBe(code);
        expect(own?.mapped.message).toBe(sdk?.mapped.message);
      }
    } finally {
      await wrongSecret.close();
    }
  });

  it('maps a refused connection as the SDK does: unavailable, and nothing stored', async () => {
    const closed = createS3Driver({ ...minioSettings(server, bucket, 'http://127.0.0.1:1'), retries: 0 });
    try {
      const { sdk, own } = await bothFailures(closed.client, { Bucket: bucket, Key: 'a.txt' });
      expect(summary(own)).toEqual(summary(sdk));
      expect(own?.mapped.code).toBe(ErrorCode.Unavailable);
      expect(own?.unknown).toBe(false);
    } finally {
      await closed.close();
    }
  });

  it('tells a server that is not S3 apart as the SDK does (200 without ETag, HTML error page)', async () => {
    const answers: [number, string, string][] = [
      [200, 'text/plain', 'ok'],
      [404, 'text/html', '<html><body>Not found</body></html>'],
    ];
    for (const [status, type, text] of answers) {
      const site: Server = createServer((request, response) => {
        request.resume();
        request.on('end', () => response.writeHead(status, { 'content-type': type }).end(text));
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      const website = createS3Driver({ ...minioSettings(server, bucket, endpoint), retries: 0 });
      try {
        const { sdk, own } = await bothFailures(website.client, { Bucket: bucket, Key: 'a.txt' });
        expect(summary(own)).toEqual(summary(sdk));
        expect(own?.mapped.code).toBe(ErrorCode.NotS3Api);
        expect(own?.mapped.message).toBe(sdk?.mapped.message);
      } finally {
        await website.close();
        site.close();
      }
    }
  });
});
