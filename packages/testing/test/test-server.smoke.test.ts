import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMinioUser, createTestBucket, createTestS3Client, removeTestBucket } from '../src/index.js';

const s3 = inject('s3');

async function readBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (read.Body as NonNullable<typeof read.Body>).transformToByteArray());
}

/** The S3 error name a rejected request carries (AccessDenied, NoSuchKey, ...). */
async function errorName(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected the request to be rejected');
}

describe('the shared S3 test server', () => {
  let root: S3Client;
  let bucket: string;

  beforeAll(async () => {
    root = createTestS3Client(s3);
    bucket = await createTestBucket(s3, 'smoke');
  });

  afterAll(async () => {
    await removeTestBucket(s3, bucket);
    root.destroy();
  });

  it('stores an object and returns the same bytes', async () => {
    const body = randomBytes(64 * 1024);
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/roundtrip.bin', Body: body }));
    expect((await readBytes(root, bucket, 'dir/roundtrip.bin')).equals(body)).toBe(true);
  });

  it('gives every test bucket its own unique name', async () => {
    const other = await createTestBucket(s3, 'smoke');
    try {
      expect(other).not.toBe(bucket);
      expect(other).toMatch(/^smoke-[a-z0-9]+-[0-9a-f]{8}$/);
    } finally {
      await removeTestBucket(s3, other);
    }
  });

  it('refuses a bucket prefix that breaks S3 naming rules, before creating anything', async () => {
    await expect(createTestBucket(s3, 'Bad_Prefix')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('"Bad_Prefix"'),
    });
  });

  describe('users made with the mc helper', () => {
    it('a read-only user can read but is denied uploads', async () => {
      await root.send(new PutObjectCommand({ Bucket: bucket, Key: 'ro/existing.txt', Body: 'hello' }));
      const user = await createMinioUser(s3, { policy: 'read-only', bucket });
      const client = createTestS3Client(s3, user);
      try {
        expect((await readBytes(client, bucket, 'ro/existing.txt')).toString()).toBe('hello');
        const put = client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ro/new.txt', Body: 'nope' }));
        expect(await errorName(put)).toBe('AccessDenied');
      } finally {
        client.destroy();
      }
    });

    it('a write-only user can upload but is denied reading back', async () => {
      const user = await createMinioUser(s3, { policy: 'write-only', bucket });
      const client = createTestS3Client(s3, user);
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'wo/probe.txt', Body: 'written' }));
        expect(await errorName(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'wo/probe.txt' })))).toBe(
          'AccessDenied',
        );
        expect((await readBytes(root, bucket, 'wo/probe.txt')).toString()).toBe('written');
      } finally {
        client.destroy();
      }
    });

    it('a no-access user is denied everything', async () => {
      const user = await createMinioUser(s3, { policy: 'no-access' });
      const client = createTestS3Client(s3, user);
      try {
        const put = client.send(new PutObjectCommand({ Bucket: bucket, Key: 'na/x.txt', Body: 'x' }));
        expect(await errorName(put)).toBe('AccessDenied');
      } finally {
        client.destroy();
      }
    });

    it('a user limited to one bucket is denied in another', async () => {
      const other = await createTestBucket(s3, 'smoke-other');
      const user = await createMinioUser(s3, { policy: 'read-write', bucket });
      const client = createTestS3Client(s3, user);
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'rw/ok.txt', Body: 'ok' }));
        const put = client.send(new PutObjectCommand({ Bucket: other, Key: 'rw/no.txt', Body: 'no' }));
        expect(await errorName(put)).toBe('AccessDenied');
      } finally {
        client.destroy();
        await removeTestBucket(s3, other);
      }
    });

    it('a user with a custom action list gets exactly those actions', async () => {
      await root.send(new PutObjectCommand({ Bucket: bucket, Key: 'custom/a.txt', Body: 'a' }));
      const user = await createMinioUser(s3, { policy: { actions: ['s3:GetObject'] }, bucket });
      const client = createTestS3Client(s3, user);
      try {
        expect((await readBytes(client, bucket, 'custom/a.txt')).toString()).toBe('a');
        expect(await errorName(client.send(new ListObjectsV2Command({ Bucket: bucket })))).toBe('AccessDenied');
      } finally {
        client.destroy();
      }
    });

    it('rejects an unknown policy before touching the server', async () => {
      await expect(createMinioUser(s3, { policy: 'everything' as 'read-only' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('unknown policy "everything"'),
      });
    });

    it('names the failing mc step without showing the root secret', async () => {
      const wrong = { ...s3, secretAccessKey: `${s3.secretAccessKey}x` };
      const failure = createMinioUser(wrong, { policy: 'read-only' });
      await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('mc admin user add failed') });
      await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining(s3.secretAccessKey) });
    });
  });
});
