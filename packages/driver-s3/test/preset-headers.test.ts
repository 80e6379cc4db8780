/**
 * Pins what each provider preset puts on the wire for a PutObject, a streamed
 * (multipart) upload and a presigned PUT. An SDK upgrade that changes checksum
 * headers, chunked encoding, Expect, ACL or addressing fails here first.
 * Requests are built by the real SDK (small PutObjects by direct-put.ts, with the
 * SDK's signer and handler) and received by a real local HTTP server.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Driver, type S3SettingsInput } from '../src/index.js';
import {
  type BuiltRequest,
  type RecordingS3Server,
  routeClientTo,
  startRecordingS3Server,
} from './support/recording-s3-server.js';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'AKIDSTOWAGEEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI-example-secret' };

// Headers whose values change on every run; only their presence is pinned.
const VOLATILE = new Set(['amz-sdk-invocation-id', 'x-amz-date', 'authorization', 'user-agent', 'x-amz-user-agent']);

/** One request as a stable, readable line: method, host, path, query names, headers (values where stable). */
function describeRequest(request: BuiltRequest, method: string): string {
  const query = Object.keys(request.query)
    .filter((name) => name !== 'x-id')
    .sort()
    .join('&');
  const headers = Object.entries(request.headers)
    .filter(([name]) => name !== 'host')
    .map(([name, value]) => {
      if (VOLATILE.has(name)) return name;
      if (name === 'x-amz-content-sha256' && value !== 'UNSIGNED-PAYLOAD' && !value.startsWith('STREAMING')) {
        return `${name}=<sha256>`;
      }
      return `${name}=${value}`;
    })
    .sort();
  const signed = /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')?.[1];
  const scope = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
  return [
    `${method} ${request.headers.host}${request.path}${query ? `?${query}` : ''}`,
    `  region=${scope} signed=${signed}`,
    ...headers.map((header) => `  ${header}`),
  ].join('\n');
}

function methodOf(request: BuiltRequest): string {
  const q = request.query;
  if ('uploads' in q) return 'POST';
  if ('uploadId' in q && !('partNumber' in q)) return 'POST';
  return 'PUT';
}

/** Presigned URL with its volatile query values blanked. */
function describePresigned(url: string): string {
  const parsed = new URL(url);
  const query = [...parsed.searchParams.entries()]
    .map(([name, value]) =>
      ['X-Amz-Date', 'X-Amz-Signature'].includes(name)
        ? name
        : `${name}=${name === 'X-Amz-Credential' ? value.replace(/\/\d{8}\//, '/<date>/') : value}`,
    )
    .sort();
  return [`${parsed.host}${parsed.pathname}`, ...query.map((entry) => `  ${entry}`)].join('\n');
}

async function wireOf(settings: Omit<S3SettingsInput, 'bucket' | 'accessKeyId' | 'secretAccessKey'>) {
  const driver = createS3Driver({ bucket: 'media-bucket', ...credentials, ...settings });
  const built: BuiltRequest[] = [];
  routeClientTo(driver.client, server, built);
  try {
    await driver.write('photos/cat.png', Buffer.from('small body'), { metadata: { origin: 'pin' } });
    const put = built.splice(0).map((request) => describeRequest(request, 'PUT'));
    const stream = Readable.from([Buffer.alloc(6 * MiB, 1), Buffer.alloc(3 * MiB, 2)]);
    await driver.write('videos/clip.mp4', stream);
    const streamed = built.splice(0).map((request) => describeRequest(request, methodOf(request)));
    const presigned = describePresigned(
      (await driver.presignPut('uploads/new.png', { contentType: 'image/png', contentLength: 1234 })).url,
    );
    return { put, streamed, presigned };
  } finally {
    await driver.close();
  }
}

let server: RecordingS3Server;
beforeAll(async () => {
  server = await startRecordingS3Server();
});
afterAll(async () => {
  await server.close();
});

describe('headers each preset sends', () => {
  it('aws', async () => {
    expect(await wireOf({ provider: 'aws', region: 'eu-west-1', acl: 'public-read' })).toMatchSnapshot();
  });
  it('wasabi', async () => {
    expect(await wireOf({ provider: 'wasabi', region: 'eu-central-1', acl: 'public-read' })).toMatchSnapshot();
  });
  it('minio', async () => {
    expect(await wireOf({ provider: 'minio', endpoint: 'http://minio.internal:9000' })).toMatchSnapshot();
  });
  it('spaces', async () => {
    expect(await wireOf({ provider: 'spaces', region: 'fra1', acl: 'public-read' })).toMatchSnapshot();
  });
  it('b2', async () => {
    expect(await wireOf({ provider: 'b2', region: 'us-west-004' })).toMatchSnapshot();
  });
  it('gcs', async () => {
    expect(await wireOf({ provider: 'gcs' })).toMatchSnapshot();
  });
  it('custom endpoint', async () => {
    expect(await wireOf({ endpoint: 'https://objects.example.net', region: 'eu-1' })).toMatchSnapshot();
  });
});

describe('checksum headers', () => {
  it('WHEN_REQUIRED (every preset default) sends no x-amz-checksum or aws-chunked framing on writes', async () => {
    const wire = await wireOf({ provider: 'minio', endpoint: 'http://minio.internal:9000' });
    const all = [...wire.put, ...wire.streamed].join('\n');
    expect(all).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum|aws-chunked|x-amz-trailer/);
    expect(wire.presigned).not.toMatch(/checksum/i);
  });

  it('WHEN_SUPPORTED, when chosen, adds CRC32 to writes but presigned URLs still sign no checksum', async () => {
    const wire = await wireOf({
      provider: 'minio',
      endpoint: 'http://minio.internal:9000',
      checksumMode: 'WHEN_SUPPORTED',
    });
    expect(wire.put.join('\n')).toMatch(/x-amz-checksum-crc32=/);
    expect(wire.presigned).not.toMatch(/checksum/i);
    expect(wire.presigned).toContain('X-Amz-SignedHeaders=content-length;content-type;host');
  });
});
