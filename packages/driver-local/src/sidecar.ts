/**
 * Metadata sidecars. An object on local disk is a plain file at its key's path
 * (so results the app put there directly are objects too); what a file system
 * cannot hold (content type, cache-control, content-disposition, user
 * metadata) goes into a small JSON file under `<root>/.stowage-meta/`.
 *
 * A sidecar names the inode and size of the file it describes. It is committed
 * right after its object, and a sidecar whose inode or size does not match the
 * file is ignored (the object then reads with defaults). So a crash or a
 * concurrent reader between the two renames can only see the new object with
 * default metadata, never the new object with someone else's metadata.
 */
import { readFile } from 'node:fs/promises';
import { errnoCode } from './fs-errors.js';

/** What a sidecar stores. */
export interface SidecarRecord {
  readonly v: 1;
  /** Inode of the object file (decimal string; inodes can exceed 2^53). */
  readonly ino: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly cacheControl: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The metadata part of a record, without the identity of the file. */
export type ObjectMetadata = Omit<SidecarRecord, 'v' | 'ino' | 'size'>;

/** Builds the record for an object file with inode `ino` and `size` bytes. */
export function sidecarRecord(ino: bigint, size: number, meta: ObjectMetadata): SidecarRecord {
  return {
    v: 1,
    ino: ino.toString(),
    size,
    contentType: meta.contentType,
    cacheControl: meta.cacheControl,
    contentDisposition: meta.contentDisposition,
    metadata: { ...meta.metadata },
  };
}

/**
 * Reads the sidecar at `path` if it describes the file with inode `ino` and
 * `size` bytes; undefined when missing, unreadable, corrupt or stale.
 */
export async function readSidecar(path: string, ino: bigint, size: number): Promise<SidecarRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.ino !== ino.toString() || parsed.size !== size) return undefined;
  return parsed;
}

function isRecord(value: unknown): value is SidecarRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const metadata = record.metadata;
  return (
    record.v === 1 &&
    typeof record.ino === 'string' &&
    typeof record.size === 'number' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    Object.values(metadata).every((entry) => typeof entry === 'string')
  );
}
