/**
 * The file-system steps of an atomic write: a temp file in the destination's
 * own folder (same file system, so the final rename is atomic), fsync of the
 * file, rename or link into place, fsync of the folder so the new name itself
 * survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { errnoCode } from './fs-errors.js';
import { TEMP_PREFIX } from './local-keys.js';

/** An open temp file next to its destination. */
export interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/** A fresh temp path in `dir`; the reserved prefix keeps it out of listings and away from keys. */
export function tempPathIn(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
}

/** Creates (O_EXCL) and opens a new temp file in `dir`. */
export async function createTempFile(dir: string): Promise<TempFile> {
  const path = tempPathIn(dir);
  const handle = await open(path, 'wx', 0o644);
  return { path, handle };
}

/** Flushes a folder's entries to disk. Ignored where folders cannot be opened (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
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

/** Deletes a file, ignoring every error: used in cleanup paths that must not mask the real failure. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
