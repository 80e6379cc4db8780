/**
 * Delete-local: removing a result's local copy only when the path still holds
 * the very file that was verified. A generator may rename a new version over
 * the path at any moment, including between a check and an unlink, so the file
 * is first renamed aside (atomic), the renamed file is checked, and only then
 * unlinked; a file that turns out not to be ours is linked back (link refuses
 * to overwrite, so even a third version arriving meanwhile is never lost).
 */
import { link, lstat, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RecordedFileIdentity } from '../catalog/types.js';
import { ErrorCode, StorageError } from '../errors.js';
import { fileIdentityOf, sameFileIdentity } from '../file-source.js';

/** What became of the local copy. */
export type LocalRemoval = 'removed' | 'already-gone';

/**
 * Removes `path` under `root` if it is still the file with `identity`.
 * CHANGED_DURING_OFFLOAD when another file is there now (it is left in place);
 * other failures as StorageErrors. `tag` makes the aside name unique.
 */
export async function removeVerifiedFile(
  root: string,
  path: string,
  identity: RecordedFileIdentity,
  tag: string,
): Promise<LocalRemoval> {
  const full = join(root, path);
  const current = await identityAt(full);
  if (current === undefined) return 'already-gone';
  if (!sameFileIdentity(current, identity)) throw replaced(path);
  const aside = join(dirname(full), `.${basename(full)}.stowage-removing-${tag}`);
  try {
    await rename(full, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'already-gone';
    throw failed(path, error);
  }
  // The rename itself moves ctime on, so the renamed file is checked by device, inode, size and mtime.
  const moved = await identityAt(aside);
  if (moved !== undefined && sameContent(moved, identity)) {
    await unlink(aside).catch((error: unknown) => {
      throw failed(path, error);
    });
    return 'removed';
  }
  // Not the verified file: a new version arrived between the check and the rename. Put it back.
  try {
    await link(aside, full);
    await unlink(aside);
  } catch (error) {
    throw new StorageError(
      ErrorCode.ChangedDuringOffload,
      `a new version of "${path}" arrived while its old copy was being removed, and a third one took its place; the new version was kept as ${basename(aside)} next to it`,
      { key: path, cause: error },
    );
  }
  throw replaced(path);
}

function sameContent(a: RecordedFileIdentity, b: RecordedFileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

async function identityAt(path: string): Promise<RecordedFileIdentity | undefined> {
  try {
    return fileIdentityOf(await lstat(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function replaced(path: string): StorageError {
  return new StorageError(
    ErrorCode.ChangedDuringOffload,
    `the local copy of "${path}" was not removed: a new version is at its path now (it stays, and will be offloaded on its own)`,
    { key: path },
  );
}

function failed(path: string, cause: unknown): StorageError {
  return new StorageError(
    ErrorCode.Unknown,
    `removing the local copy of "${path}" failed: ${(cause as Error).message}`,
    {
      key: path,
      cause,
    },
  );
}
