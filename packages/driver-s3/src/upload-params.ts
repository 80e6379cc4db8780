/** The request parameters every write path shares: the object's headers, and its part size. */
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { resolveContentType, type WriteOptions } from '@stowage/storage-core';
import type { S3DriverConfig } from './config.js';

/** S3 allows at most this many parts in one multipart upload. */
const MAX_PARTS = 10_000;

/** Where an object goes, as its parameters need it. */
export interface ParamsTarget {
  readonly config: S3DriverConfig;
  /** The caller's key (its extension picks a content type). */
  readonly key: string;
  /** The key on the backend (prefix applied). */
  readonly backendKey: string;
}

/** The PutObject (and CreateMultipartUpload) parameters of a write, without its body. */
export function putParams(
  target: ParamsTarget,
  options: WriteOptions,
  length: number | undefined,
): PutObjectCommandInput {
  const { config } = target;
  return {
    Bucket: config.bucket,
    Key: target.backendKey,
    ContentType: resolveContentType(target.key, options.contentType),
    ...(length !== undefined ? { ContentLength: length } : {}),
    ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
    ...(options.contentDisposition ? { ContentDisposition: options.contentDisposition } : {}),
    ...(options.metadata && Object.keys(options.metadata).length > 0 ? { Metadata: { ...options.metadata } } : {}),
    ...(options.ifNotExists ? { IfNoneMatch: '*' } : {}),
    ...(config.acl ? { ACL: config.acl as PutObjectCommandInput['ACL'] } : {}),
    ...(config.storageClass ? { StorageClass: config.storageClass as PutObjectCommandInput['StorageClass'] } : {}),
    ...(config.serverSideEncryption ? { ServerSideEncryption: config.serverSideEncryption } : {}),
    ...(config.sseKmsKeyId ? { SSEKMSKeyId: config.sseKmsKeyId } : {}),
  };
}

/** Part size for a body: the configured one, grown when needed to stay within 10,000 parts. */
export function partSizeFor(config: S3DriverConfig, length: number | undefined): number {
  if (length === undefined) return config.partSize;
  return Math.max(config.partSize, Math.ceil(length / MAX_PARTS));
}
