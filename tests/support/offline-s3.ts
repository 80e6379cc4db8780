/**
 * S3 drivers for tests that need no server: built without I/O, pointed at a
 * closed local port (a request is refused at once), and a way to see whether
 * a driver was closed (a closed one refuses to hand out its client).
 */
import { createS3Driver, type S3Driver, type S3SettingsInput } from '../../packages/driver-s3/src/index.js';

/** MinIO-preset settings for an endpoint nothing listens on. */
export const OFFLINE_S3_SETTINGS = {
  provider: 'minio',
  endpoint: 'http://127.0.0.1:9',
  bucket: 'media',
  accessKeyId: 'AKID',
  secretAccessKey: 'offline-test-secret-0123456789',
} as const;

/** A driver on OFFLINE_S3_SETTINGS with `overrides`. */
export function offlineS3Driver(overrides: Partial<S3SettingsInput> = {}): S3Driver {
  return createS3Driver({ ...OFFLINE_S3_SETTINGS, ...overrides });
}

/** True once `driver.close()` ran. */
export function isClosed(driver: S3Driver): boolean {
  try {
    void driver.client;
    return false;
  } catch {
    return true;
  }
}
