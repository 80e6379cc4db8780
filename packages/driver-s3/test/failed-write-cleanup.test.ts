/**
 * What a failed write leaves, through toxiproxy in front of real MinIO:
 * - the abort of a failed multipart upload is retried with backoff after the
 *   write's own retries are spent, so an outage shorter than the cleanup window
 *   leaves no open upload; a longer one ends the write within the window and
 *   leaves the upload to `sweepIncompleteUploads`, saying so
 *   (`details.uploadLeftOpen`);
 * - a failed write says whether the object may have been stored anyway
 *   (`details.uncertain`): set when the answer to the storing request was lost
 *   or timed out, absent when the request never went out or the server said no.
 */
import { ErrorCode, type StorageError } from '@stowage/storage-core';
import { generatedStream } from '@stowage/storage-core/testing';
import {
  createMinioUser,
  createS3Proxy,
  createTestBucket,
  removeTestBucket,
  type ToxiproxyProxy,
} from '@stowage/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import { createS3Driver, type S3Driver, type S3DriverOptions, type S3SettingsInput } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';
import { openUploadsOf } from './support/open-uploads.js';

const toxiproxy = await fileToxiproxy();

const MiB = 1024 * 1024;
const server = inject('s3');
let bucket: string;
let direct: S3Driver;
let proxy: ToxiproxyProxy;
let endpoint: string;

function proxiedDriver(overrides: Partial<S3SettingsInput> = {}, options: S3DriverOptions = {}): S3Driver {
  return createS3Driver(
    { ...minioSettings(server, bucket, endpoint), retries: 0, partSize: 5 * MiB, queueSize: 1, ...overrides },
    options,
  );
}

async function failureOf(write: Promise<unknown>): Promise<StorageError> {
  const error = await write.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error === undefined) throw new Error('expected the write to fail');
  return error as StorageError;
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-failed-writes');
  direct = createS3Driver(minioSettings(server, bucket));
});
afterAll(async () => {
  await direct.close();
  await removeTestBucket(server, bucket);
});
beforeEach(async () => {
  ({
    proxy,
    info: { endpoint },
  } = await createS3Proxy(toxiproxy, server));
});
afterEach(async () => {
  await proxy.delete();
});

describe('aborting a failed multipart upload', () => {
  it('keeps retrying the abort through an outage longer than the write retries, until it succeeds', async () => {
    const driver = proxiedDriver();
    const started = Date.now();
    let outageAt = 0;
    try {
      const error = await failureOf(
        driver.write('outage/short.bin', generatedStream(16 * MiB, 1), {
          onProgress: () => {
            if (outageAt > 0) return;
            // The first part is stored: an upload is open. The link goes down for 3 s.
            outageAt = Date.now();
            void proxy.disable().then(() => setTimeout(() => void proxy.enable(), 3_000));
          },
        }),
      );
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error.details?.uploadLeftOpen).toBeUndefined();
      // The write's own retries (none) were long spent; the cleanup waited out the outage.
      expect(Date.now() - outageAt).toBeGreaterThanOrEqual(2_500);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await openUploadsOf(server, bucket, 'outage/short.bin')).toBe(0);
      expect(await direct.exists('outage/short.bin')).toBe(false);
    } finally {
      await driver.close();
    }
  });

  it('gives up within the cleanup window when the outage outlasts it, and says the upload it leaves to the sweep is open', async () => {
    const driver = proxiedDriver({}, { cleanupWindowMs: 2_000 });
    let outageAt = 0;
    try {
      const error = await failureOf(
        driver.write('outage/long.bin', generatedStream(16 * MiB, 2), {
          onProgress: () => {
            if (outageAt > 0) return;
            outageAt = Date.now();
            void proxy.disable();
          },
        }),
      );
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(Date.now() - outageAt).toBeLessThan(2_000 + 10_000);
      expect(error.details?.uploadLeftOpen).toBe(true);
      expect(error.message).toMatch(/a multipart upload may be left open at the key/);
      expect(await openUploadsOf(server, bucket, 'outage/long.bin')).toBe(1);
      expect(await direct.sweepIncompleteUploads({ key: 'outage/long.bin', olderThanMs: 0 })).toEqual({
        aborted: 1,
        failed: [],
      });
      expect(await openUploadsOf(server, bucket, 'outage/long.bin')).toBe(0);
    } finally {
      await driver.close();
    }
  });
});

describe('details.uncertain on a failed write', () => {
  it('is true when the answer to the PUT is lost: the object was stored although the write failed', async () => {
    const driver = proxiedDriver();
    try {
      // Downstream: the request reaches MinIO whole, the answer never comes back.
      await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 0 }, stream: 'downstream' });
      const error = await failureOf(driver.write('uncertain/lost-answer.txt', 'stored, answer lost'));
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error.details?.uncertain).toBe(true);
      expect(error.message).toMatch(/may have been stored/);
      expect(await direct.exists('uncertain/lost-answer.txt')).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it('is true when the PUT times out after its body was sent', async () => {
    const driver = proxiedDriver({ requestTimeoutMs: 800 });
    try {
      await proxy.addToxic({ type: 'latency', attributes: { latency: 3_000 }, stream: 'downstream' });
      const error = await failureOf(driver.write('uncertain/slow-answer.txt', 'stored, answer late'));
      expect(error.code).toBe(ErrorCode.Timeout);
      expect(error.details?.uncertain).toBe(true);
      // The server did act: the object shows up once its (delayed) work is done.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(await direct.exists('uncertain/slow-answer.txt')).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it('is absent when nothing could be sent (connection refused)', async () => {
    const driver = proxiedDriver();
    try {
      await proxy.disable();
      const error = await failureOf(driver.write('uncertain/never-sent.txt', 'never sent'));
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error.details?.uncertain).toBeUndefined();
      expect(await direct.exists('uncertain/never-sent.txt')).toBe(false);
    } finally {
      await driver.close();
    }
  });

  it('is absent when the server answered with an error (access denied)', async () => {
    const user = await createMinioUser(server, { policy: 'read-only', bucket });
    const driver = proxiedDriver(user);
    try {
      const error = await failureOf(driver.write('uncertain/denied.txt', 'refused'));
      expect(error.code).toBe(ErrorCode.AccessDenied);
      expect(error.details?.uncertain).toBeUndefined();
    } finally {
      await driver.close();
    }
  });

  it('is absent when a multipart upload failed before CompleteMultipartUpload, and no upload is left', async () => {
    const driver = proxiedDriver();
    let cut = false;
    try {
      const error = await failureOf(
        driver.write('uncertain/parts-only.bin', generatedStream(16 * MiB, 3), {
          onProgress: () => {
            if (cut) return;
            cut = true;
            void proxy
              .addToxic({ type: 'reset_peer', attributes: { timeout: 0 }, stream: 'upstream' })
              .then(() => setTimeout(() => void proxy.removeAllToxics(), 1_000));
          },
        }),
      );
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error.details?.uncertain).toBeUndefined();
      expect(error.details?.uploadLeftOpen).toBeUndefined();
      expect(await openUploadsOf(server, bucket, 'uncertain/parts-only.bin')).toBe(0);
      expect(await direct.exists('uncertain/parts-only.bin')).toBe(false);
    } finally {
      await driver.close();
    }
  });
});
