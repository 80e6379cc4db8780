/** The key a caller's key is stored under, with S3's length limit checked on the prefixed key. */
import { applyKeyPrefix, InvalidKeyError } from '@stowage/storage-core';

/** S3 (and every S3-compatible) limits a stored key, prefix included, to this many UTF-8 bytes. */
const MAX_BACKEND_KEY_BYTES = 1024;

/**
 * The key on the backend for a validated caller's key; INVALID_KEY before any
 * I/O when the prefix pushes it past S3's 1,024 bytes (core's validateKey only
 * sees the caller's key, which can be within the limit on its own).
 */
export function backendKeyFor(keyPrefix: string, key: string): string {
  const backendKey = applyKeyPrefix(keyPrefix, key);
  const bytes = Buffer.byteLength(backendKey);
  if (bytes > MAX_BACKEND_KEY_BYTES) {
    throw new InvalidKeyError(
      `key is ${Buffer.byteLength(key)} bytes; with this driver's key prefix "${keyPrefix}" it is ${bytes}, over the ${MAX_BACKEND_KEY_BYTES}-byte limit of S3 keys`,
      { key },
    );
  }
  return backendKey;
}
