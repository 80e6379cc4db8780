import {
  contentTypeProblem,
  ErrorCode,
  metadataProblems,
  StorageError,
  type WriteOptions,
} from '@stowage/storage-core';

// Header values may not carry line breaks or other controls (they become HTTP headers on real backends).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function headerValueProblem(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return `${name} must be a non-empty string`;
  return CONTROL.test(value) ? `${name} must not contain line breaks or control characters` : undefined;
}

/**
 * Refuses write options that a real backend would refuse, listing every
 * problem, before the body is read: the memory driver must not accept what
 * S3 or the local disk would not, or app tests would pass on it and fail in production.
 * The metadata and content-type rules are core's, the ones offload checks.
 */
export function checkWriteOptions(key: string, options: WriteOptions): void {
  const problems: string[] = [];
  if (options.contentType !== undefined) {
    const problem = contentTypeProblem(options.contentType);
    if (problem) problems.push(problem);
  }
  for (const name of ['cacheControl', 'contentDisposition'] as const) {
    const problem = headerValueProblem(name, options[name]);
    if (problem) problems.push(problem);
  }
  const length = options.contentLength;
  if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) {
    problems.push('contentLength must be a non-negative whole number');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    problems.push('onProgress must be a function');
  }
  problems.push(...metadataProblems(options.metadata));
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `write of "${key}": ${problems.join('; ')}`, { key });
  }
}
