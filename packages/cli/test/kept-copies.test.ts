/**
 * `stowage reconcile` on the target a migration left its source copies in
 * (no --delete-source): the built binary against a real MinIO and the real
 * SQLite catalog. A kept copy that is there agrees; one removed behind
 * Stowage's back is a disagreement (exit 3) that the text names, and --fix
 * forgets it instead of sending the result again.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, createTestS3Client, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliWorld, createCliWorld } from './support.js';

interface ReconcileBody {
  disagreements: number;
  orphans: { count: number };
  missing: { count: number };
  keptCopies: { recorded: number; missing: { count: number } };
  fixes?: Record<string, number>;
}

describe('stowage reconcile and the copies a migration keeps', () => {
  const s3 = inject('s3');
  let first: string;
  let second: string;
  let world: CliWorld;
  let client: S3Client;
  const env = () => ({ MINIO_SECRET: s3.secretAccessKey });
  const setBucket = (bucket: string) =>
    world.run(
      [
        'providers',
        'set',
        'minio',
        '--endpoint',
        s3.endpoint,
        '--region',
        s3.region,
        '--bucket',
        bucket,
        '--access-key-id',
        s3.accessKeyId,
        '--secret-from-env',
        'secretAccessKey=MINIO_SECRET',
      ],
      { env: env() },
    );

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestBucket(s3, 'cli-kept-a'), createTestBucket(s3, 'cli-kept-b')]);
    client = createTestS3Client(s3);
    world = await createCliWorld();
    await world.addResult('img/a.png', 1200);
    await world.addResult('img/b.png', 800);
    expect((await setBucket(first)).code).toBe(0);
    expect((await world.run(['enable', 'minio'])).code).toBe(0);
    expect((await world.run(['use', 'minio'])).code).toBe(0);
    expect((await world.run(['offload', 'img'])).code).toBe(0);
    // A new bucket is a new target; the migration copies to it and keeps the first bucket's copies.
    expect((await setBucket(second)).code).toBe(0);
    expect((await world.run(['migrate', '--from', 'minio.1', '--to', 'minio'])).code).toBe(0);
  });
  afterAll(async () => {
    client?.destroy();
    await Promise.all([first, second].filter(Boolean).map((bucket) => removeTestBucket(s3, bucket)));
    await world?.remove();
  });

  it('agrees while the kept copies are there, and names none missing', async () => {
    const clean = await world.json<ReconcileBody>(['reconcile', 'minio.1']);
    expect(clean.code).toBe(0);
    expect(clean.body).toMatchObject({
      disagreements: 0,
      orphans: { count: 0 },
      keptCopies: { recorded: 2, missing: { count: 0 } },
    });
  });

  it('exits 3 for a kept copy removed behind its back, says so in the text, and --fix forgets it', async () => {
    await client.send(new DeleteObjectCommand({ Bucket: first, Key: 'img/a.png' }));
    const text = await world.run(['reconcile', 'minio.1']);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/kept copies missing: 1 \(.+\) of 2 kept/);

    const fixed = await world.json<ReconcileBody>(['reconcile', 'minio.1', '--fix', '--grace', '0']);
    expect(fixed.code).toBe(3);
    expect(fixed.body.fixes).toMatchObject({ keptCopiesForgotten: 1, requeued: 0 });
    const after = await world.json<ReconcileBody>(['reconcile', 'minio.1']);
    expect(after.code).toBe(0);
    expect(after.body).toMatchObject({ disagreements: 0, keptCopies: { recorded: 1, missing: { count: 0 } } });
  });
});
