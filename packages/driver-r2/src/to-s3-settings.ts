/**
 * R2's rules, expressed as S3 driver settings: the endpoint from the account id
 * and jurisdiction (or the custom/bucket-specific endpoint, split), region
 * `auto`, checksums only where S3 requires them, and no ACL field at all.
 */
import type { S3SettingsInput } from '@stowage/driver-s3';
import { parseR2Endpoint, r2AccountEndpoint } from './endpoint.js';
import type { R2Settings } from './settings.js';

/** Maps validated R2 settings to the S3 driver's settings. Pure: no I/O. */
export function r2ToS3Settings(settings: R2Settings): S3SettingsInput {
  const parsed = settings.endpoint === undefined ? undefined : parseR2Endpoint(settings.endpoint);
  const split = typeof parsed === 'object' ? parsed : undefined;
  const endpoint = split?.endpoint ?? r2AccountEndpoint(settings.accountId ?? '', settings.jurisdiction ?? 'default');
  const bucket = settings.bucket ?? split?.bucket ?? '';
  return {
    provider: 'custom',
    endpoint,
    region: 'auto',
    bucket,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    // Cloudflare's S3 guide uses virtual-hosted requests for standard buckets; path-style only when asked.
    forcePathStyle: settings.forcePathStyle ?? false,
    checksumMode: 'WHEN_REQUIRED',
    ...(settings.keyPrefix !== undefined ? { keyPrefix: settings.keyPrefix } : {}),
    ...(settings.publicBaseUrl !== undefined ? { publicBaseUrl: settings.publicBaseUrl } : {}),
    ...(settings.storageClass !== undefined ? { storageClass: settings.storageClass } : {}),
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
