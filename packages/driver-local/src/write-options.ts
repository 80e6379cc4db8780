import { ErrorCode, StorageError, type WriteOptions } from '@stowage/storage-core';

// Header values may not carry line breaks or other controls (header injection, mangled sidecars).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// HTTP header token characters: metadata keys travel as x-amz-meta-* headers on S3.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

function invalid(key: string, message: string): StorageError {
  return new StorageError(ErrorCode.InvalidInput, `write of "${key}": ${message}`, { key });
}

function checkHeaderValue(key: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw invalid(key, `${name} must be a non-empty string`);
  if (CONTROL.test(value)) throw invalid(key, `${name} must not contain line breaks or control characters`);
  return value;
}

/**
 * Checks write options before any I/O and returns the metadata with keys
 * lower-cased (as S3 would store them), so every driver agrees on the shape.
 */
export function checkWriteOptions(key: string, options: WriteOptions): Record<string, string> {
  checkHeaderValue(key, 'contentType', options.contentType);
  checkHeaderValue(key, 'cacheControl', options.cacheControl);
  checkHeaderValue(key, 'contentDisposition', options.contentDisposition);
  const length = options.contentLength;
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw invalid(key, 'contentLength must be a non-negative integer');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw invalid(key, 'onProgress must be a function');
  }
  const metadata: Record<string, string> = {};
  if (options.metadata === undefined) return metadata;
  if (typeof options.metadata !== 'object' || options.metadata === null)
    throw invalid(key, 'metadata must be an object');
  for (const [name, value] of Object.entries(options.metadata)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(lower)) throw invalid(key, `metadata key ${JSON.stringify(name)} must be an ASCII header token`);
    if (typeof value !== 'string') throw invalid(key, `metadata value of "${lower}" must be a string`);
    if (CONTROL.test(value)) throw invalid(key, `metadata value of "${lower}" must not contain control characters`);
    metadata[lower] = value;
  }
  return metadata;
}
