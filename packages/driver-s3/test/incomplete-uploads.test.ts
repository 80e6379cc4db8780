/**
 * `sweepIncompleteUploads` against real MinIO: real open uploads (created with
 * CreateMultipartUpload and one part, as a killed process leaves them), aged
 * for real and swept with a small `olderThanMs`; paging with more uploads than
 * a page; the driver's key prefix as the boundary; per-upload failures reported.
 */
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ErrorCode } from '@stowage/storage-core';
import { createMinioUser, createTestBucket, createTestS3Client, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3SettingsInput } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
let bucket: string;
let root: S3Client;

/** Starts a multipart upload of `backendKey` with one part, and leaves it open. */
async function openUpload(backendKey: string): Promise<string> {
  const { UploadId } = await root.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: backendKey }));
  await root.send(
    new UploadPartCommand({ Bucket: bucket, Key: backendKey, UploadId, PartNumber: 1, Body: 'an unfinished part' }),
  );
  return UploadId as string;
}

/** Open uploads in the bucket, as "key uploadId" (MinIO lists every upload of the bucket without a prefix). */
async function openUploads(): Promise<string[]> {
  const listed = await root.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (listed.Uploads ?? []).map((upload) => `${upload.Key} ${upload.UploadId}`).sort();
}

function driverWith(overrides: Partial<S3SettingsInput> = {}) {
  return createS3Driver({ ...minioSettings(server, bucket), retries: 0, ...overrides } as S3SettingsInput);
}

beforeAll(async () => {
  root = createTestS3Client(server);
});
afterAll(async () => {
  root.destroy();
});
beforeEach(async () => {
  if (bucket) await removeTestBucket(server, bucket);
  bucket = await createTestBucket(server, 's3-sweep');
});
afterAll(async () => {
  await removeTestBucket(server, bucket);
});

describe('sweepIncompleteUploads against MinIO', () => {
  it('aborts the uploads older than olderThanMs and keeps the younger ones and the default 24 h spares all', async () => {
    const driver = driverWith({ keyPrefix: 'tenant-a' });
    try {
      const old = [await openUpload('tenant-a/old-1.bin'), await openUpload('tenant-a/images/old-2.png')];
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const young = await openUpload('tenant-a/young.bin');
      expect(await driver.sweepIncompleteUploads()).toEqual({ aborted: 0, failed: [] });
      expect(await driver.sweepIncompleteUploads({ olderThanMs: 1_000 })).toEqual({ aborted: old.length, failed: [] });
      expect(await openUploads()).toEqual([`tenant-a/young.bin ${young}`]);
    } finally {
      await driver.close();
    }
  });

  it('pages through more uploads than one page (KeyMarker + UploadIdMarker) and aborts them all', async () => {
    const driver = driverWith({ keyPrefix: 'tenant-a' });
    let pages = 0;
    driver.client.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName === 'ListMultipartUploadsCommand') pages++;
        return next(args);
      },
      { step: 'initialize', name: 'countListPages' },
    );
    try {
      for (let i = 0; i < 7; i++) await openUpload('tenant-a/videos/retried.mp4');
      const result = await driver.sweepIncompleteUploads({ key: 'videos/retried.mp4', pageSize: 2, olderThanMs: 0 });
      expect(result).toEqual({ aborted: 7, failed: [] });
      expect(pages).toBeGreaterThanOrEqual(4);
      expect(await openUploads()).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it('touches only uploads under the driver key prefix', async () => {
    const driver = driverWith({ keyPrefix: 'tenant-a' });
    try {
      await openUpload('tenant-a/mine.bin');
      await openUpload('tenant-a/deep/mine-too.bin');
      const outside = [
        `tenant-b/theirs.bin ${await openUpload('tenant-b/theirs.bin')}`,
        `tenant-ab/lookalike.bin ${await openUpload('tenant-ab/lookalike.bin')}`,
        `at-root.bin ${await openUpload('at-root.bin')}`,
      ];
      expect(await driver.sweepIncompleteUploads({ olderThanMs: 0 })).toEqual({ aborted: 2, failed: [] });
      expect(await openUploads()).toEqual(outside.sort());
    } finally {
      await driver.close();
    }
  });

  it('reports each upload it may not abort, by caller key and upload id, and aborts nothing else', async () => {
    const user = await createMinioUser(server, {
      policy: { actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'] },
      bucket,
    });
    const driver = driverWith({ keyPrefix: 'tenant-a', ...user });
    try {
      const uploadId = await openUpload('tenant-a/locked.bin');
      const result = await driver.sweepIncompleteUploads({ olderThanMs: 0 });
      expect(result.aborted).toBe(0);
      expect(result.failed).toEqual([
        { key: 'locked.bin', uploadId, error: expect.objectContaining({ code: ErrorCode.AccessDenied }) },
      ]);
      expect(JSON.stringify(result.failed.map((failure) => failure.error.message))).not.toContain(user.secretAccessKey);
      expect(await openUploads()).toEqual([`tenant-a/locked.bin ${uploadId}`]);
    } finally {
      await driver.close();
    }
  });

  it('rejects when the uploads cannot be listed, with the classified error', async () => {
    const user = await createMinioUser(server, { policy: { actions: ['s3:GetObject'] }, bucket });
    const driver = driverWith(user);
    try {
      await expect(driver.sweepIncompleteUploads({ olderThanMs: 0 })).rejects.toMatchObject({
        code: ErrorCode.AccessDenied,
      });
    } finally {
      await driver.close();
    }
  });
});
