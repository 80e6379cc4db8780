/**
 * storageClass, serverSideEncryption and sseKmsKeyId reach the wire on every
 * request that creates an object (PutObject, CreateMultipartUpload, CopyObject),
 * and an SSE-KMS write, whose ETag is not the MD5 of the body, is verified by
 * size only and reports checksum "none". Requests are built by the real SDK and
 * received by a real local HTTP server (MinIO has no KMS configured here).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorCode } from '@stowage/storage-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Driver, type S3SettingsInput } from '../src/index.js';
import { type RecordedRequest, type RecordingS3Server, startRecordingS3Server } from './support/recording-s3-server.js';

const MiB = 1024 * 1024;
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let server: RecordingS3Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function driverOn(recorder: RecordingS3Server, settings: Partial<S3SettingsInput>) {
  return createS3Driver({
    endpoint: recorder.endpoint,
    region: 'eu-west-1',
    bucket: 'media-bucket',
    accessKeyId: 'AKIDSTOWAGEEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI-example-secret',
    retries: 0,
    ...settings,
  });
}

/** The object-creating request of each kind, by what S3 calls it. */
function creatingRequests(requests: readonly RecordedRequest[]) {
  return {
    put: requests.find((r) => r.method === 'PUT' && !r.query.has('partNumber') && !r.headers['x-amz-copy-source']),
    createMultipart: requests.find((r) => r.method === 'POST' && r.query.has('uploads')),
    parts: requests.filter((r) => r.method === 'PUT' && r.query.has('partNumber')),
    copy: requests.find((r) => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined),
  };
}

const encryptionHeaders = (request: RecordedRequest | undefined) =>
  Object.fromEntries(
    Object.entries(request?.headers ?? {}).filter(
      ([name]) => name === 'x-amz-storage-class' || name.startsWith('x-amz-server-side-encryption'),
    ),
  );

/** Writes a small object, a multipart one (8 MiB default parts + 1) and a copy; returns the requests that created objects. */
async function wireOf(settings: Partial<S3SettingsInput>) {
  server = await startRecordingS3Server();
  const driver = driverOn(server, settings);
  try {
    await driver.write('photos/cat.png', Buffer.from('small body'));
    await driver.write('videos/clip.mp4', Readable.from([Buffer.alloc(9 * MiB, 1)]), { contentLength: 9 * MiB });
    await driver.copy('photos/cat.png', 'photos/cat-copy.png');
    return creatingRequests(server.requests);
  } finally {
    await driver.close();
  }
}

describe('storage class and server-side encryption headers', () => {
  it('SSE-KMS with a key id and a storage class go on PutObject, CreateMultipartUpload and CopyObject', async () => {
    const wire = await wireOf({ storageClass: 'STANDARD_IA', serverSideEncryption: 'aws:kms', sseKmsKeyId: KMS_KEY });
    const expected = {
      'x-amz-storage-class': 'STANDARD_IA',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY,
    };
    expect(encryptionHeaders(wire.put)).toEqual(expected);
    expect(encryptionHeaders(wire.createMultipart)).toEqual(expected);
    expect(encryptionHeaders(wire.copy)).toEqual(expected);
    // Parts inherit the upload's settings; S3 rejects SSE-KMS headers repeated on UploadPart.
    expect(wire.parts.length).toBe(2);
    for (const part of wire.parts) expect(encryptionHeaders(part)).toEqual({});
    // The headers are signed, so a proxy cannot strip them unnoticed.
    expect(wire.put?.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-server-side-encryption;/);
    expect(wire.put?.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-storage-class/);
  });

  it('SSE-S3 (AES256) sends only the algorithm', async () => {
    const wire = await wireOf({ serverSideEncryption: 'AES256' });
    for (const request of [wire.put, wire.createMultipart, wire.copy]) {
      expect(encryptionHeaders(request)).toEqual({ 'x-amz-server-side-encryption': 'AES256' });
    }
  });

  it('without the settings, no storage-class or encryption header is sent', async () => {
    const wire = await wireOf({});
    for (const request of [wire.put, wire.createMultipart, wire.copy, ...wire.parts]) {
      expect(encryptionHeaders(request)).toEqual({});
    }
  });
});

describe('verification when the ETag is not an MD5 (SSE-KMS)', () => {
  // What S3 does under SSE-KMS: a 32-hex ETag that is not the MD5 of the body.
  const kmsLikeEtag = () => randomBytes(16).toString('hex');

  it('an SSE-KMS write is checked by stored size and reports checksum "none"', async () => {
    server = await startRecordingS3Server({ etagFor: kmsLikeEtag });
    const driver = driverOn(server, { serverSideEncryption: 'aws:kms', sseKmsKeyId: KMS_KEY });
    try {
      const body = Buffer.from('encrypted at rest');
      const result = await driver.write('docs/secret.txt', body);
      expect(result).toMatchObject({ key: 'docs/secret.txt', size: body.length, checksum: 'none' });
      expect(result.etag).not.toBe(createHash('md5').update(body).digest('hex'));
      // The size check is a HEAD of the stored object after the PUT.
      expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'HEAD']);
    } finally {
      await driver.close();
    }
  });

  it('the same non-MD5 ETag without SSE-KMS is a CHECKSUM_MISMATCH and the object is deleted', async () => {
    server = await startRecordingS3Server({ etagFor: kmsLikeEtag });
    const driver = driverOn(server, {});
    try {
      await expect(driver.write('docs/plain.txt', Buffer.from('plain body'))).rejects.toMatchObject({
        code: ErrorCode.ChecksumMismatch,
      });
      expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'DELETE']);
    } finally {
      await driver.close();
    }
  });
});
