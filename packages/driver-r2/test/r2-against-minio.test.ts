import type { S3Driver } from '@stowage/driver-s3';
import { ErrorCode } from '@stowage/storage-core';
import { describeDriverConformance } from '@stowage/storage-core/testing';
import {
  allowAnonymousRead,
  createTestBucket,
  type MinioProcess,
  removeTestBucket,
  startMinioProcess,
} from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyR2Cors, createR2Driver } from '../src/index.js';

// R2 is not reachable from tests: its rules (region "auto", no ACL, WHEN_REQUIRED
// checksums, no Expect header) run against MinIO through a custom endpoint. The
// shared server answers only to us-east-1, so this file runs its own MinIO whose
// region is "auto", as R2's is: the driver signs exactly as it would for R2.
let minio: MinioProcess;
beforeAll(async () => {
  minio = await startMinioProcess({ region: 'auto' });
}, 60_000);
afterAll(async () => {
  await minio?.stop();
});

describeDriverConformance('R2 driver through a custom endpoint (MinIO)', {
  async createDriver() {
    const bucket = await createTestBucket(minio.info, 'r2-conformance');
    // The public base must really serve the bucket: the probe fetches its probe object through it.
    await allowAnonymousRead(minio.info, bucket);
    return createR2Driver({
      endpoint: minio.info.endpoint,
      bucket,
      accessKeyId: minio.info.accessKeyId,
      secretAccessKey: minio.info.secretAccessKey,
      publicBaseUrl: `${minio.info.endpoint}/${bucket}`,
    });
  },
  async destroyDriver(driver) {
    await removeTestBucket(minio.info, (driver as S3Driver).bucket);
  },
});

describe('CORS helper against MinIO', () => {
  it('reports MinIO CE’s NotImplemented answer to PutBucketCors as UNSUPPORTED', async () => {
    const bucket = await createTestBucket(minio.info, 'r2-cors');
    const driver = createR2Driver({
      endpoint: minio.info.endpoint,
      bucket,
      accessKeyId: minio.info.accessKeyId,
      secretAccessKey: minio.info.secretAccessKey,
    });
    try {
      await expect(applyR2Cors(driver, { origins: ['https://app.example.com'] })).rejects.toMatchObject({
        code: ErrorCode.Unsupported,
        status: 501,
      });
    } finally {
      await driver.close();
      await removeTestBucket(minio.info, bucket);
    }
  });
});

describe('R2 probe ("test connection") against MinIO in region auto', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket(minio.info, 'r2-probe');
  });
  afterAll(async () => {
    await removeTestBucket(minio.info, bucket);
  });

  async function probeWith(secretAccessKey: string) {
    const driver = createR2Driver({
      endpoint: minio.info.endpoint,
      bucket,
      accessKeyId: minio.info.accessKeyId,
      secretAccessKey,
      retries: 0,
    });
    try {
      return await driver.probe();
    } finally {
      await driver.close();
    }
  }

  it('passes every step as driver "r2" and leaves the bucket empty', async () => {
    const report = await probeWith(minio.info.secretAccessKey);
    expect(report, report.message).toMatchObject({ ok: true, driver: 'r2' });
    expect(report.steps.map((step) => step.step)).toEqual(['connect', 'write', 'read', 'compare', 'delete']);
    const driver = createR2Driver({
      endpoint: minio.info.endpoint,
      bucket,
      accessKeyId: minio.info.accessKeyId,
      secretAccessKey: minio.info.secretAccessKey,
    });
    try {
      const left = [];
      for await (const entry of driver.list()) left.push(entry.key);
      expect(left).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it('reports a wrong secret as INVALID_CREDENTIALS at the connect step, without the secret', async () => {
    const wrongSecret = 'R2-WRONG-SECRET-0123456789abcdef0123456789abcdef';
    const report = await probeWith(wrongSecret);
    expect(report).toMatchObject({
      ok: false,
      driver: 'r2',
      failedStep: 'connect',
      code: ErrorCode.InvalidCredentials,
    });
    expect(report.message).toMatch(/secret|credential|key/i);
    expect(JSON.stringify(report)).not.toContain(wrongSecret);
    expect(JSON.stringify(report)).not.toContain(minio.info.secretAccessKey);
  });
});
