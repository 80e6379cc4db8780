/**
 * Turns validated settings plus their preset into the one resolved
 * configuration the client, uploads and URLs are built from.
 */
import { normalizeKeyPrefix } from '@stowage/storage-core';
import { type ChecksumMode, S3_PRESETS, type S3Provider } from './presets.js';
import { providerOf, resolvedChecksumMode, type S3Settings } from './settings.js';

export interface S3DriverConfig {
  readonly provider: S3Provider;
  /** Explicit API endpoint, or undefined to let the SDK derive AWS's. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly forcePathStyle: boolean;
  /** "" or a prefix ending in "/". */
  readonly keyPrefix: string;
  /** Public base without trailing "/", or undefined. */
  readonly publicBaseUrl: string | undefined;
  readonly acl: string | undefined;
  readonly storageClass: string | undefined;
  readonly serverSideEncryption: 'AES256' | 'aws:kms' | undefined;
  readonly sseKmsKeyId: string | undefined;
  readonly checksumMode: ChecksumMode;
  readonly supportsBatchDelete: boolean;
  readonly partSize: number;
  readonly queueSize: number;
  readonly maxConcurrentWrites: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

/** Applies the preset to validated settings. Pure: no I/O. */
export function resolveS3Config(settings: S3Settings): S3DriverConfig {
  const provider = providerOf(settings);
  const preset = S3_PRESETS[provider];
  const region = settings.region ?? preset.defaultRegion ?? 'us-east-1';
  const endpoint = settings.endpoint ?? preset.endpointFor?.(region);
  return {
    provider,
    endpoint: endpoint?.replace(/\/+$/, ''),
    region,
    bucket: settings.bucket,
    credentials: {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
    },
    forcePathStyle: settings.forcePathStyle ?? preset.forcePathStyle,
    keyPrefix: normalizeKeyPrefix(settings.keyPrefix),
    publicBaseUrl: settings.publicBaseUrl?.replace(/\/+$/, ''),
    acl: settings.acl,
    storageClass: settings.storageClass,
    serverSideEncryption: settings.serverSideEncryption,
    sseKmsKeyId: settings.sseKmsKeyId,
    checksumMode: resolvedChecksumMode(settings),
    supportsBatchDelete: preset.supportsBatchDelete,
    partSize: settings.partSize,
    queueSize: settings.queueSize,
    maxConcurrentWrites: settings.maxConcurrentWrites,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    connectionTimeoutMs: settings.connectionTimeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
  };
}
