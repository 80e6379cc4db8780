import { ErrorCode, StorageError } from '../errors.js';
import { keyProblem } from '../keys.js';
import { contentTypeProblem, metadataProblems } from '../metadata.js';
import type { OffloadInput } from './types.js';

/** Room offload keeps in the metadata budget for the "sha256" entry it adds (key plus 64 hex digits). */
const SHA256_ENTRY_PLACEHOLDER = { sha256: '0'.repeat(64) };

/**
 * Checks an offload input before any I/O; throws one INVALID_INPUT (or
 * INVALID_KEY) error naming every problem. Metadata must satisfy
 * `metadataProblems` (with room for the "sha256" entry offload adds) and the
 * content type `contentTypeProblem`, so a backend never refuses what offload
 * accepted. Bad input is a programming error, so it is thrown, unlike storage failures.
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
  if (contentType !== undefined) {
    const problem = contentTypeProblem(contentType);
    if (problem) problems.push(`contentType: ${problem}`);
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      problems.push('metadata: must be an object of string values');
    } else {
      for (const [name, value] of Object.entries(metadata)) {
        if (typeof value !== 'string') problems.push(`metadata.${name}: must be a string`);
      }
      const withSha = { ...(metadata as Record<string, unknown>), ...SHA256_ENTRY_PLACEHOLDER };
      for (const problem of metadataProblems(withSha)) {
        if (problem.includes('must be a string')) continue;
        const budget = problem.startsWith('metadata must be at most') ? ' (offload adds a 70-byte "sha256" entry)' : '';
        problems.push(`metadata: ${problem}${budget}`);
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
