/**
 * One rule for presigned URL lifetimes in every driver: at least 1 second,
 * whole seconds, capped at MAX_PRESIGN_EXPIRES_IN (7 days). Presigning needs
 * no server, so the S3 and R2 drivers are checked offline next to the local one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDriver } from '../packages/driver-local/src/index.js';
import { createMemoryDriver } from '../packages/driver-memory/src/index.js';
import { createR2Driver } from '../packages/driver-r2/src/index.js';
import { createS3Driver } from '../packages/driver-s3/src/index.js';
import {
  ErrorCode,
  MAX_PRESIGN_EXPIRES_IN,
  presignExpiresIn,
  type StorageDriver,
} from '../packages/storage-core/src/index.js';

const drivers: Record<string, StorageDriver> = {
  local: createLocalDriver({
    root: '/srv/results',
    signingSecret: 'presign-expiry-signing-secret-0123456789',
    signedUrlBaseUrl: 'https://app.example/files',
  }),
  s3: createS3Driver({
    provider: 'minio',
    endpoint: 'http://127.0.0.1:9',
    bucket: 'media',
    accessKeyId: 'AKID',
    secretAccessKey: 'presign-expiry-secret-0123',
  }),
  memory: createMemoryDriver(),
  r2: createR2Driver({
    accountId: '0123456789abcdef0123456789abcdef',
    bucket: 'media',
    accessKeyId: 'a'.repeat(32),
    secretAccessKey: 'presign-expiry-r2-secret-0123',
  }),
};

afterAll(async () => {
  await Promise.all(Object.values(drivers).map((driver) => driver.close()));
});

describe('presigned URL lifetime', () => {
  it('is capped at 7 days by every driver', async () => {
    expect(MAX_PRESIGN_EXPIRES_IN).toBe(604_800);
    for (const [name, driver] of Object.entries(drivers)) {
      const signed = await driver.presignGet('a.png', { expiresIn: 30 * 24 * 3600 });
      const lifetime = signed.expiresAt.getTime() - Date.now();
      expect(lifetime, name).toBeLessThanOrEqual(MAX_PRESIGN_EXPIRES_IN * 1000);
      expect(lifetime, name).toBeGreaterThan(MAX_PRESIGN_EXPIRES_IN * 1000 - 5000);
    }
  });

  it('is refused under one second, or not a number, by every driver, before signing', async () => {
    for (const [name, driver] of Object.entries(drivers)) {
      for (const expiresIn of [0, 0.5, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(driver.presignGet('a.png', { expiresIn }), `${name} ${expiresIn}`).rejects.toMatchObject({
          code: ErrorCode.InvalidInput,
          message: 'expiresIn for "a.png" must be a number of seconds, at least 1',
        });
      }
    }
  });

  it('rounds down to whole seconds and falls back to the driver default', () => {
    expect(presignExpiresIn('k', 90.9, 3600)).toBe(90);
    expect(presignExpiresIn('k', undefined, 900)).toBe(900);
    expect(presignExpiresIn('k', 1, 900)).toBe(1);
  });
});
