/**
 * The side under test: the Stowage S3 driver with the MinIO preset, configured
 * with the same part size and queue size as the baseline.
 */
import { createS3Driver } from '@stowage/driver-s3';
import { BENCH_CONTENT_TYPE, type BenchSide, WARM_UP_KEY } from './bench-side.js';
import type { ServerTarget, UploadTuning } from './case-spec.js';

export interface DriverSideOptions {
  /** Strip `Expect: 100-continue` from requests (the driver's knob for servers such as R2). */
  readonly disableExpectContinue?: boolean;
}

/** The driver side of every case. */
export function createDriverSide(
  target: ServerTarget,
  tuning: UploadTuning,
  options: DriverSideOptions = {},
): BenchSide {
  const driver = createS3Driver(
    {
      provider: 'minio',
      endpoint: target.endpoint,
      region: target.region,
      bucket: target.bucket,
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
      partSize: tuning.partSize,
      queueSize: tuning.queueSize,
    },
    { client: { disableExpectContinue: options.disableExpectContinue ?? false } },
  );
  return {
    async warmUp() {
      await driver.exists(WARM_UP_KEY);
    },
    async upload(key, body) {
      const result = await driver.write(key, body, { contentType: BENCH_CONTENT_TYPE });
      return result.size;
    },
    async put(key, body) {
      await driver.write(key, body, { contentType: BENCH_CONTENT_TYPE });
    },
    open(key) {
      return driver.read(key);
    },
    close() {
      return driver.close();
    },
  };
}
