import { constants } from 'node:fs';
import { copyFile, link, lstat, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, NotFoundError, removeQuietly, StorageError, syncDirectory } from '@stowage/storage-core';
import { errnoCode, fsError } from './fs-errors.js';
import { commitStaged, objectPaths, openTempNextTo, putSidecar, refuseIfExists } from './object-commit.js';
import type { RootDirectory } from './root-directory.js';
import { readSidecar, type SidecarRecord } from './sidecar.js';

interface Source {
  readonly target: string;
  readonly sidecarPath: string;
  readonly sidecar: SidecarRecord | undefined;
  readonly real: string;
}

/** The source object's path and valid sidecar; NOT_FOUND when missing. */
async function openSource(root: RootDirectory, key: string): Promise<Source> {
  const paths = await objectPaths(root, key);
  const resolved = await root.resolveExisting(paths.real, paths.target, key);
  const info = resolved ? await lstat(resolved, { bigint: true }).catch(() => undefined) : undefined;
  if (!resolved || !info?.isFile()) {
    throw new NotFoundError(`source object "${key}" does not exist`, { key });
  }
  const sidecar = await readSidecar(paths.sidecar, info.ino, Number(info.size));
  return { target: resolved, sidecarPath: paths.sidecar, sidecar, real: paths.real };
}

function metadataOf(sidecar: SidecarRecord | undefined) {
  return sidecar
    ? {
        contentType: sidecar.contentType,
        cacheControl: sidecar.cacheControl,
        contentDisposition: sidecar.contentDisposition,
        metadata: sidecar.metadata,
      }
    : undefined;
}

/**
 * What copy and move both check first: the source exists (NOT_FOUND), a
 * transfer onto itself is a no-op (refused under only-if-absent), and the
 * destination is free when only-if-absent. Undefined means nothing to do.
 */
async function prepareTransfer(root: RootDirectory, from: string, to: string, ifNotExists: boolean) {
  const source = await openSource(root, from);
  if (from === to) {
    if (ifNotExists) throw alreadyExists(to);
    return undefined;
  }
  const paths = await objectPaths(root, to);
  if (ifNotExists) await refuseIfExists(paths, to);
  return { source, paths };
}

function alreadyExists(key: string): StorageError {
  return new StorageError(ErrorCode.PreconditionFailed, `key "${key}" already exists`, { key });
}

/**
 * Copies `from` to `to` through a temp file (reflinked where the file system
 * can), keeping content type and metadata; the destination appears atomically.
 */
export async function copyObject(root: RootDirectory, from: string, to: string, ifNotExists: boolean): Promise<void> {
  const transfer = await prepareTransfer(root, from, to, ifNotExists);
  if (!transfer) return;
  const { source, paths } = transfer;
  const temp = await openTempNextTo(root, paths, to);
  await temp.handle.close();
  let staged: { tempPath: string; size: number; ino: bigint };
  try {
    await copyFile(source.target, temp.path, constants.COPYFILE_FICLONE);
    const handle = await open(temp.path, 'r+');
    try {
      await handle.sync();
      const info = await handle.stat({ bigint: true });
      staged = { tempPath: temp.path, size: Number(info.size), ino: info.ino };
    } finally {
      await handle.close();
    }
  } catch (error) {
    await removeQuietly(temp.path);
    await root.pruneObjectFolders(paths.real, dirname(temp.path));
    if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`source object "${from}" does not exist`, { key: from });
    throw fsError(error, 'copying to', to);
  }
  await commitStaged(root, paths, to, staged, metadataOf(source.sidecar), { exclusive: ifNotExists });
}

/**
 * Moves `from` to `to` with one rename (or link + unlink for only-if-absent),
 * so the destination exists before the source is gone; metadata follows.
 */
export async function moveObject(root: RootDirectory, from: string, to: string, ifNotExists: boolean): Promise<void> {
  const transfer = await prepareTransfer(root, from, to, ifNotExists);
  if (!transfer) return;
  const { source, paths } = transfer;
  const sourcePath = root.objectPath(source.real, from);
  try {
    await moveFile(root, sourcePath, paths, to, ifNotExists);
  } catch (error) {
    if (errnoCode(error) === 'EXDEV') {
      // A mount point inside the root: no atomic rename across it, so copy (with metadata), then delete.
      await copyObject(root, from, to, ifNotExists);
      await unlink(sourcePath).catch(() => undefined);
      await removeQuietly(source.sidecarPath);
      await root.pruneObjectFolders(source.real, dirname(sourcePath));
      await root.pruneSidecarFolders(source.real, dirname(source.sidecarPath));
      return;
    }
    if (errnoCode(error) === 'ENOENT') {
      throw new NotFoundError(`source object "${from}" does not exist`, { key: from, cause: error });
    }
    throw fsError(error, 'moving to', to);
  }
  try {
    if (source.sidecar) {
      // Same inode after a rename or link, so the source's record stays valid for the destination.
      await putSidecar(root, paths, to, source.sidecar);
    } else {
      await removeQuietly(paths.sidecar);
    }
    await removeQuietly(source.sidecarPath);
    await syncDirectory(dirname(paths.target));
  } catch (error) {
    throw fsError(error, 'moving metadata to', to);
  } finally {
    await root.pruneObjectFolders(source.real, dirname(sourcePath));
    await root.pruneSidecarFolders(source.real, dirname(source.sidecarPath));
  }
}

async function moveFile(
  root: RootDirectory,
  sourcePath: string,
  paths: { real: string; target: string },
  key: string,
  exclusive: boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await root.ensureParent(paths.real, paths.target, key);
    try {
      if (!exclusive) {
        await rename(sourcePath, paths.target);
        return;
      }
      try {
        await link(sourcePath, paths.target);
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') throw alreadyExists(key);
        throw error;
      }
      await unlink(sourcePath);
      return;
    } catch (error) {
      // ENOENT can also mean a concurrent delete pruned the fresh destination folder.
      const sourceGone = await lstat(sourcePath).then(
        () => false,
        () => true,
      );
      if (errnoCode(error) !== 'ENOENT' || sourceGone || attempt >= 5) throw error;
    }
  }
}
