import { stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { removeQuietly } from '@stowage/storage-core';
import { errnoCode, fsError } from './fs-errors.js';
import { objectPaths } from './object-commit.js';
import type { RootDirectory } from './root-directory.js';

/**
 * Deletes the object and its sidecar, then prunes the folders left empty that
 * the driver may remove (see RootDirectory.pruneObjectFolders).
 * Succeeds when the key is missing or names a folder.
 */
export async function deleteObject(root: RootDirectory, key: string): Promise<void> {
  const paths = await objectPaths(root, key);
  await root.resolveExisting(paths.real, paths.target, key);
  try {
    await unlink(paths.target);
  } catch (error) {
    const code = errnoCode(error);
    if (
      code !== 'ENOENT' &&
      code !== 'ENOTDIR' &&
      code !== 'EISDIR' &&
      !(code === 'EPERM' && (await isFolder(paths.target)))
    ) {
      throw fsError(error, 'deleting', key);
    }
  }
  await removeQuietly(paths.sidecar);
  await root.pruneObjectFolders(paths.real, dirname(paths.target));
  await root.pruneSidecarFolders(paths.real, dirname(paths.sidecar));
}

// macOS answers EPERM instead of EISDIR for unlink on a folder.
async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
