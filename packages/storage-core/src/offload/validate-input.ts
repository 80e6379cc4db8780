import { ErrorCode, StorageError } from '../errors.js';
import { keyProblem } from '../keys.js';
import { contentTypeProblem, metadataProblems } from '../metadata.js';
import type { OffloadInput, OffloadVariantInput } from './types.js';

/** Room offload keeps in the metadata budget for the entries it adds ("sha256" and "stowage-attempt"). */
const OFFLOAD_ENTRIES_PLACEHOLDER = { sha256: '0'.repeat(64), 'stowage-attempt': '0'.repeat(36) };

const VARIANT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** At most this many variants per result. */
export const MAX_VARIANTS = 32;

/** A variant as offload works with it: name, path and optional content type. */
export interface ResolvedVariant {
  readonly name: string;
  readonly path: string;
  readonly contentType: string | undefined;
}

/**
 * Checks an offload input before any I/O; throws one INVALID_INPUT (or
 * INVALID_KEY) error naming every problem. Metadata must satisfy
 * `metadataProblems` (with room for the entries offload adds) and the content
 * type `contentTypeProblem`, so a backend never refuses what offload accepted.
 * Bad input is a programming error, so it is thrown, unlike storage failures.
 */
export function validateOffloadInput(input: unknown): OffloadInput {
  if (typeof input !== 'object' || input === null) {
    throw new StorageError(ErrorCode.InvalidInput, 'offload input must be an object like { path: "images/a.png" }');
  }
  const { path, contentType, metadata, variants } = input as Record<string, unknown>;
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
  if (metadata !== undefined) problems.push(...offloadMetadataProblems(metadata));
  if (variants !== undefined) problems.push(...variantProblems(variants, path as string));
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `offload input for "${path}": ${problems.join('; ')}`, {
      key: path as string,
    });
  }
  return input as OffloadInput;
}

/** The variants of a validated input, in the order given. */
export function variantsOf(input: OffloadInput): ResolvedVariant[] {
  return Object.entries(input.variants ?? {}).map(([name, value]) =>
    typeof value === 'string'
      ? { name, path: value, contentType: undefined }
      : { name, path: value.path, contentType: value.contentType },
  );
}

function offloadMetadataProblems(metadata: unknown): string[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return ['metadata: must be an object of string values'];
  }
  const problems: string[] = [];
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') problems.push(`metadata.${name}: must be a string`);
    if (name in OFFLOAD_ENTRIES_PLACEHOLDER) problems.push(`metadata.${name}: is reserved for offload's own entry`);
  }
  const withOwn = { ...(metadata as Record<string, unknown>), ...OFFLOAD_ENTRIES_PLACEHOLDER };
  for (const problem of metadataProblems(withOwn)) {
    if (problem.includes('must be a string')) continue;
    const budget = problem.startsWith('metadata must be at most')
      ? ' (offload adds a 70-byte "sha256" entry and a 51-byte "stowage-attempt" entry)'
      : '';
    problems.push(`metadata: ${problem}${budget}`);
  }
  return problems;
}

function variantProblems(variants: unknown, path: string): string[] {
  if (typeof variants !== 'object' || variants === null || Array.isArray(variants)) {
    return ['variants: must be an object of name → path, e.g. { w320: "images/x-320.webp" }'];
  }
  const entries = Object.entries(variants as Record<string, unknown>);
  const problems: string[] = [];
  if (entries.length > MAX_VARIANTS) problems.push(`variants: at most ${MAX_VARIANTS} per result`);
  const seen = new Set([path]);
  for (const [name, value] of entries) {
    if (!VARIANT_NAME.test(name)) {
      problems.push(
        `variants: name ${JSON.stringify(name.slice(0, 70))} must be lower-case letters, digits, "-" or "_"`,
      );
    }
    const variant = (typeof value === 'string' ? { path: value } : value) as Partial<OffloadVariantInput> | null;
    if (typeof variant !== 'object' || variant === null) {
      problems.push(`variants.${name}: must be a path or { path, contentType }`);
      continue;
    }
    const pathProblem = keyProblem(variant.path);
    if (pathProblem) problems.push(`variants.${name}.path: ${pathProblem}`);
    else if (seen.has(variant.path as string))
      problems.push(`variants.${name}.path: names a file of this result twice`);
    else seen.add(variant.path as string);
    if (variant.contentType !== undefined) {
      const problem = contentTypeProblem(variant.contentType);
      if (problem) problems.push(`variants.${name}.contentType: ${problem}`);
    }
  }
  return problems;
}
