/**
 * The CopyObject request of `copy()`: a server-side copy that keeps the
 * metadata (MetadataDirective COPY) and applies the destination's storage
 * settings. It never reads ACLs (R2 has no GetObjectAcl).
 */
import type { CopyObjectCommandInput } from '@aws-sdk/client-s3';
import { encodeKeyPath } from '@stowage/storage-core';
import type { S3DriverConfig } from './config.js';

/** The CopyObject input from backend key `from` to backend key `to`. */
export function copyObjectInput(
  config: S3DriverConfig,
  from: string,
  to: string,
  ifNotExists: boolean,
): CopyObjectCommandInput {
  return {
    Bucket: config.bucket,
    Key: to,
    CopySource: `${encodeURIComponent(config.bucket)}/${encodeKeyPath(from)}`,
    MetadataDirective: 'COPY',
    ...(ifNotExists ? { IfNoneMatch: '*' } : {}),
    ...(config.acl ? { ACL: config.acl as CopyObjectCommandInput['ACL'] } : {}),
    ...(config.storageClass ? { StorageClass: config.storageClass as CopyObjectCommandInput['StorageClass'] } : {}),
    ...(config.serverSideEncryption ? { ServerSideEncryption: config.serverSideEncryption } : {}),
    ...(config.sseKmsKeyId ? { SSEKMSKeyId: config.sseKmsKeyId } : {}),
  };
}
