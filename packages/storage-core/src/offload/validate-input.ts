import { ErrorCode, StorageError } from '../errors.js';
import { keyProblem } from '../keys.js';
import type { OffloadInput } from './types.js';

/**
 * Checks an offload input before any I/O; throws one INVALID_INPUT (or
 * INVALID_KEY) error naming every problem. Bad input is a programming error,
 * so it is thrown, unlike storage failures.
 */
export function validateOffloadInput(input: unknown): OffloadInput {
  if (typeof input !== 'object' || input === null) {
    throw new StorageError(ErrorCode.InvalidInput, 'offload input must be an object like { path: "images/a.png" }');
  }
  const { path, contentType, metadata } = input as Record<string, unknown>;
  const pathProblem = keyProblem(path);
  if (pathProblem) {
    throw new StorageError(ErrorCode.InvalidKey, `offload input path: ${pathProblem}`, {
      key: typeof path === 'string' ? path.slice(0, 200) : undefined,
    });
  }
  const problems: string[] = [];
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType.trim() === '')) {
    problems.push('contentType: must be a non-empty string');
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      problems.push('metadata: must be an object of string values');
    } else {
      for (const [name, value] of Object.entries(metadata)) {
        if (typeof value !== 'string') problems.push(`metadata.${name}: must be a string`);
      }
    }
  }
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `offload input for "${path}": ${problems.join('; ')}`, {
      key: path as string,
    });
  }
  return input as OffloadInput;
}
