/**
 * A multipart write whose first CreateMultipartUpload reached MinIO but whose
 * answer was lost (toxiproxy cuts the answer): MinIO opened an upload whose id
 * never reached the driver. The retry writes the object; then the driver
 * sweeps the key for that upload. When the sweep works nothing is left open;
 * when it cannot (here the credentials may not list multipart uploads), the
 * write still stands and the driver's logger says what was left behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@stowage/storage-core';
import { readBytes } from '@stowage/storage-core/testing';
import {
  createMinioUser,
  createS3Proxy,
  createTestBucket,
  removeTestBucket,
  type TestCredentials,
  type ToxiproxyProxy,
} from '@stowage/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import { createS3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';
import { openUploadsOf } from './support/open-uploads.js';

const toxiproxy = await fileToxiproxy();

const MiB = 1024 * 1024;
const server = inject('s3');
let bucket: string;
let proxy: ToxiproxyProxy;
let endpoint: string;
let dir: string;
let file: string;
let bytes: Buffer;

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A logger that keeps what it is told. */
function recordingLogger(): Logger & { warnings: { facts: Record<string, unknown>; message: string }[] } {
  const warnings: { facts: Record<string, unknown>; message: string }[] = [];
  return {
    warnings,
    info: () => undefined,
    error: () => undefined,
    warn: (facts, message) => {
      warnings.push({ facts, message });
    },
  };
}

/** Writes the 6 MiB file to `key` in 5 MiB parts; the first request's answer is cut, the retry goes through. */
async function writeAfterLostCreate(key: string, logger: Logger, credentials?: TestCredentials) {
  const driver = createS3Driver(
    { ...minioSettings(server, bucket, endpoint), ...credentials, retries: 2, retryDelayMs: 50, partSize: 5 * MiB },
    {
      backend: 'media',
      logger,
      cleanupWindowMs: 1_000,
      onRetry: async () => {
        await proxy.removeToxic('cut-answer').catch(() => undefined);
      },
    },
  );
  try {
    // Downstream: CreateMultipartUpload reaches MinIO whole, its answer never comes back.
    await proxy.addToxic({ name: 'cut-answer', type: 'limit_data', attributes: { bytes: 0 }, stream: 'downstream' });
    return await driver.write(key, { filePath: file });
  } finally {
    await driver.close();
  }
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-lost-create');
  dir = await mkdtemp(join(tmpdir(), 'stowage-lost-create-'));
  file = join(dir, 'video.bin');
  bytes = randomBytes(6 * MiB);
  await writeFile(file, bytes);
});
afterAll(async () => {
  await removeTestBucket(server, bucket);
  await rm(dir, { recursive: true, force: true });
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

describe('a multipart write after a lost CreateMultipartUpload answer', () => {
  it('stores the object and aborts the upload whose id never arrived', async () => {
    const logger = recordingLogger();
    const written = await writeAfterLostCreate('lost-create/swept.bin', logger);

    expect(written.size).toBe(6 * MiB);
    expect(await openUploadsOf(server, bucket, 'lost-create/swept.bin')).toBe(0);
    const stored = createS3Driver(minioSettings(server, bucket));
    try {
      expect(digest(await readBytes(stored, 'lost-create/swept.bin'))).toBe(digest(bytes));
    } finally {
      await stored.close();
    }
    expect(logger.warnings).toEqual([]);
  });

  it('keeps the written object and warns the logger, naming the key, when the upload left open cannot be swept', async () => {
    // Everything a write needs except listing multipart uploads, so the sweep after the write fails.
    const credentials = await createMinioUser(server, {
      bucket,
      policy: {
        actions: [
          's3:GetObject',
          's3:ListBucket',
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
      },
    });
    const logger = recordingLogger();
    const written = await writeAfterLostCreate('lost-create/left.bin', logger, credentials);

    expect(written.size).toBe(6 * MiB);
    expect(await openUploadsOf(server, bucket, 'lost-create/left.bin')).toBe(1);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.facts).toEqual({ backend: 'media', key: 'lost-create/left.bin', bucket });
    expect(logger.warnings[0]?.message).toMatch(/"lost-create\/left\.bin" was written, but a multipart upload/);
    expect(JSON.stringify(logger.warnings)).not.toContain(credentials.secretAccessKey);
  });
});
