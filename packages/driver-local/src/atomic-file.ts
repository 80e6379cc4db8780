/**
 * The local driver's use of core's atomic file writes (see `replaceFile` in
 * @stowage/storage-core): temp files carry the reserved TEMP_PREFIX, so they
 * never collide with a key and listings skip them, and an "only if absent"
 * commit hard-links instead of renaming.
 */
import { link, rename } from 'node:fs/promises';
import {
  createTempFile as createCoreTempFile,
  ErrorCode,
  removeQuietly,
  StorageError,
  type TempFile,
  writeTempFile,
} from '@stowage/storage-core';
import { errnoCode } from './fs-errors.js';
import { TEMP_PREFIX } from './local-keys.js';

/** How the local driver names and creates temp files: reserved prefix, readable like the objects. */
const TEMP = { prefix: TEMP_PREFIX, mode: 0o644 } as const;

/** Creates (O_EXCL) and opens a new temp file in `dir`. */
export function createTempFile(dir: string): Promise<TempFile> {
  return createCoreTempFile(dir, TEMP);
}

/** Writes `data` to a new fsynced temp file in `dir`; returns its path. */
export function stageFile(dir: string, data: string): Promise<string> {
  return writeTempFile(dir, data, TEMP);
}

/**
 * Puts the finished temp file under its final name. With `exclusive`, a hard
 * link (which fails if the name exists, atomically) replaces the rename, so two
 * racing "only if absent" writers can never both succeed.
 */
export async function commitFile(tempPath: string, target: string, exclusive: boolean, key: string): Promise<void> {
  if (!exclusive) {
    await rename(tempPath, target);
    return;
  }
  try {
    await link(tempPath, target);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') {
      throw new StorageError(ErrorCode.PreconditionFailed, `key "${key}" already exists`, { key, cause: error });
    }
    throw error;
  }
  await removeQuietly(tempPath);
}
