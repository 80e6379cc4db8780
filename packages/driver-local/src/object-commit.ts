/**
 * Staging and committing objects. Every write, copy and move of content goes
 * through here: the bytes land in a temp file next to the destination (and the
 * sidecar in a temp file next to its own destination), both are fsynced, then
 * the object is renamed (or, for only-if-absent, hard-linked) into place, then
 * the sidecar, then both folders are fsynced. Readers only ever see a complete
 * file under the final name; on failure both temp files are removed.
 */
import { lstat, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, removeQuietly, StorageError, syncDirectory, type TempFile } from '@stowage/storage-core';
import { commitFile, createTempFile, stageFile } from './atomic-file.js';
import { errnoCode, fsError, nameConflict } from './fs-errors.js';
import type { RootDirectory } from './root-directory.js';
import { type ObjectMetadata, type SidecarRecord, sidecarRecord } from './sidecar.js';

/** Bytes fully written and fsynced to a temp file, waiting to be committed. */
export interface StagedObject {
  readonly tempPath: string;
  readonly size: number;
  readonly ino: bigint;
}

/** Where one key lives on disk. */
export interface ObjectPaths {
  readonly real: string;
  readonly target: string;
  readonly sidecar: string;
}

/** Resolves the paths of `key` (the root must exist). */
export async function objectPaths(root: RootDirectory, key: string): Promise<ObjectPaths> {
  const real = await root.real();
  return { real, target: root.objectPath(real, key), sidecar: root.sidecarPath(real, key) };
}

/**
 * Creates the destination's folders and a temp file in them. A concurrent
 * delete may prune a just-created empty folder, so ENOENT is retried.
 */
export async function openTempNextTo(root: RootDirectory, paths: ObjectPaths, key: string): Promise<TempFile> {
  for (let attempt = 1; ; attempt++) {
    await root.ensureParent(paths.real, paths.target, key);
    try {
      return await createTempFile(dirname(paths.target));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || attempt >= 5) throw fsError(error, 'creating a temp file for', key);
    }
  }
}

/** Refuses early when only-if-absent and the key is taken; the commit re-checks atomically. */
export async function refuseIfExists(paths: ObjectPaths, key: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await lstat(paths.target)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
    throw fsError(error, 'checking', key);
  }
  // A folder (of other objects, or kept empty) is no object: the conflict is the name, not the precondition.
  if (isFolder) throw nameConflict(key, 'folder');
  throw new StorageError(ErrorCode.PreconditionFailed, `key "${key}" already exists`, { key });
}

/**
 * Puts a staged object under its key with its metadata. `metadata` undefined
 * means "nothing beyond defaults": no sidecar is written and a stale one is removed.
 * `beforeCommit` runs last thing before the object becomes visible (abort checks).
 */
export async function commitStaged(
  root: RootDirectory,
  paths: ObjectPaths,
  key: string,
  staged: StagedObject,
  metadata: ObjectMetadata | undefined,
  options: { exclusive: boolean; beforeCommit?: () => void },
): Promise<void> {
  let sidecarTemp: string | undefined;
  try {
    if (metadata) {
      sidecarTemp = await stageSidecar(root, paths, key, sidecarRecordJson(staged, metadata));
    }
    options.beforeCommit?.();
    await commitFile(staged.tempPath, paths.target, options.exclusive, key);
  } catch (error) {
    await removeQuietly(staged.tempPath);
    if (sidecarTemp) await removeQuietly(sidecarTemp);
    await root.pruneObjectFolders(paths.real, dirname(paths.target));
    await root.pruneSidecarFolders(paths.real, dirname(paths.sidecar));
    throw fsError(error, 'writing', key);
  }
  try {
    if (sidecarTemp) await rename(sidecarTemp, paths.sidecar);
    else await removeQuietly(paths.sidecar);
    await syncDirectory(dirname(paths.target));
    if (sidecarTemp) await syncDirectory(dirname(paths.sidecar));
  } catch (error) {
    // The object is already in place; its sidecar would be stale, so the object reads with defaults.
    if (sidecarTemp) await removeQuietly(sidecarTemp);
    throw fsError(error, 'storing metadata of', key);
  }
}

function sidecarRecordJson(staged: StagedObject, metadata: ObjectMetadata): string {
  return JSON.stringify(sidecarRecord(staged.ino, staged.size, metadata));
}

async function stageSidecar(root: RootDirectory, paths: ObjectPaths, key: string, json: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    await root.ensureParent(paths.real, paths.sidecar, key);
    try {
      return await stageFile(dirname(paths.sidecar), json);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** Writes the sidecar of `key` atomically (temp file, fsync, rename), retrying folders pruned meanwhile. */
export async function putSidecar(
  root: RootDirectory,
  paths: ObjectPaths,
  key: string,
  record: SidecarRecord,
): Promise<void> {
  const temp = await stageSidecar(root, paths, key, JSON.stringify(record));
  try {
    await rename(temp, paths.sidecar);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDirectory(dirname(paths.sidecar));
}

/** True when `metadata` carries anything the file itself cannot. */
export function hasMetadata(metadata: ObjectMetadata): boolean {
  return (
    metadata.contentType !== undefined ||
    metadata.cacheControl !== undefined ||
    metadata.contentDisposition !== undefined ||
    Object.keys(metadata.metadata).length > 0
  );
}
