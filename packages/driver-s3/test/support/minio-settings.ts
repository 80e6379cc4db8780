import type { S3TestServerInfo } from '@stowage/testing';

/**
 * Driver settings for the test MinIO: the minio preset, root credentials, and
 * the server's endpoint unless a proxied one is given.
 */
export function minioSettings(server: S3TestServerInfo, bucket: string, endpoint: string = server.endpoint) {
  return {
    provider: 'minio',
    endpoint,
    region: server.region,
    bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  } as const;
}
