import { describeDriverConformance } from '@stowage/storage-core/testing';
import { allowAnonymousRead, createTestBucket, removeTestBucket } from '@stowage/testing';
import { inject } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');

// The bucket serves objects anonymously, so public URLs (path-style, endpoint/bucket) are fetched and compared.
describeDriverConformance('S3 driver against MinIO', {
  async createDriver() {
    const bucket = await createTestBucket(server, 's3-conformance');
    await allowAnonymousRead(server, bucket);
    return createS3Driver({
      ...minioSettings(server, bucket),
      publicBaseUrl: `${server.endpoint}/${bucket}`,
    });
  },
  async destroyDriver(driver) {
    await removeTestBucket(server, (driver as S3Driver).bucket);
  },
  fetchPublicUrls: true,
});
