import {
  contentTypeProblem,
  ErrorCode,
  type PresignGetOptions,
  type PresignPutOptions,
  presignExpiresIn,
  StorageError,
} from '@stowage/storage-core';

/** Lifetime of a presigned URL when the caller gives none. */
const DEFAULT_PRESIGN_EXPIRES_IN = 3600;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(key: string, message: string): StorageError {
  return new StorageError(ErrorCode.InvalidInput, `presign of "${key}": ${message}`, { key });
}

/** When a URL asked for `expiresIn` seconds from now expires, by core's one rule (`presignExpiresIn`: 1 s to 7 days). */
export function presignExpiry(key: string, expiresIn: number | undefined): Date {
  return new Date(Date.now() + presignExpiresIn(key, expiresIn, DEFAULT_PRESIGN_EXPIRES_IN) * 1000);
}

/** Refuses response headers with control characters, and for PUT a bad content type or length. */
export function checkPresignOptions(
  key: string,
  options: PresignGetOptions | PresignPutOptions,
  upload: boolean,
): void {
  if (upload) {
    const { contentType, contentLength } = options as PresignPutOptions;
    const typeProblem = contentTypeProblem(contentType);
    if (typeProblem) throw invalid(key, typeProblem);
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      throw invalid(key, 'contentLength must be a non-negative whole number');
    }
    return;
  }
  for (const name of ['contentDisposition', 'contentType'] as const) {
    const value: unknown = (options as PresignGetOptions)[name];
    if (value !== undefined && (typeof value !== 'string' || value === '' || CONTROL.test(value))) {
      throw invalid(key, `${name} must be a non-empty string without control characters`);
    }
  }
}
