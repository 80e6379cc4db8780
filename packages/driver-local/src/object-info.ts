import type { BigIntStats } from 'node:fs';

/**
 * A strong validator for a file: its inode, size and modification time in
 * nanoseconds. Every write commits a new file (new inode), so the etag changes
 * with the content; list and stat derive it the same way.
 */
export function etagOf(info: BigIntStats): string {
  return `"${info.ino.toString(16)}-${info.size.toString(16)}-${info.mtimeNs.toString(16)}"`;
}

/** The last-modified date of a file. */
export function lastModifiedOf(info: BigIntStats): Date {
  return new Date(Number(info.mtimeNs / 1_000_000n));
}
