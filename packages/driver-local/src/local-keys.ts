import { InvalidKeyError, validateKey, validatePrefix } from '@stowage/storage-core';

/**
 * Root-level folder holding the metadata sidecars. Reserved: no key may start
 * with this segment, and listings never show it.
 */
export const META_DIR = '.stowage-meta';

/** Name prefix of in-flight temp files. Reserved in every segment, hidden from listings. */
export const TEMP_PREFIX = '.stowage-tmp-';

/**
 * Longest key segment on local disk. File systems allow 255 bytes per name and
 * the sidecar adds ".json" to the segment.
 */
export const MAX_SEGMENT_BYTES = 250;

/** Why `key` (already valid by core rules) cannot be stored on local disk, or undefined. */
export function localKeyProblem(key: string): string | undefined {
  const segments = key.split('/');
  if (segments[0] === META_DIR) return `"${META_DIR}" is reserved by the local driver for metadata`;
  for (const segment of segments) {
    if (segment.startsWith(TEMP_PREFIX))
      return `segments starting with "${TEMP_PREFIX}" are reserved by the local driver`;
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `a segment is longer than ${MAX_SEGMENT_BYTES} UTF-8 bytes, which local disk cannot store as one name`;
    }
  }
  return undefined;
}

/** Core key rules plus the local-disk ones; throws INVALID_KEY before any I/O. */
export function validateLocalKey(key: unknown): string {
  const valid = validateKey(key);
  const problem = localKeyProblem(valid);
  if (problem)
    throw new InvalidKeyError(`invalid key ${JSON.stringify(valid.slice(0, 80))}: ${problem}`, { key: valid });
  return valid;
}

/** Core prefix rules; a prefix may still end with "/" or be empty. */
export function validateLocalPrefix(prefix: unknown): string {
  return validatePrefix(prefix);
}

/** True when a name found on disk is one the driver keeps for itself. */
export function isReservedName(name: string, atRoot: boolean): boolean {
  return name.startsWith(TEMP_PREFIX) || (atRoot && name === META_DIR);
}
