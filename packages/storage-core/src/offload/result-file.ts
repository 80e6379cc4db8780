/**
 * Opening a result on the results disk, once, under the disk's containment
 * rule. A path is not a file: between a check and a read the generator may
 * rename a new version over it, or swap it for a symbolic link. So the file is
 * opened first and every check is made on the open handle: it is a regular
 * file, and its real path (from /proc/self/fd on Linux) lies inside the root.
 * Every byte offload hashes and sends comes from that handle, or from a
 * re-open that proves it is the same unchanged file (dev, inode, size, mtime,
 * ctime). See docs/architecture.md, "Offload: the data-safety protocol".
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { RecordedFileIdentity } from '../catalog/types.js';
import { ErrorCode, NotFoundError, StorageError } from '../errors.js';
import { fileIdentityOf, sameFileIdentity } from '../file-source.js';

/** A result file opened for offload. Close it when done. */
export interface OpenedResultFile {
  /** The relative path (the key) on the results disk. */
  readonly path: string;
  /** The file's real absolute path, inside the results root. */
  readonly realPath: string;
  readonly handle: FileHandle;
  /** What the file was when opened. */
  readonly identity: RecordedFileIdentity;
  readonly size: number;
}

/**
 * Opens `path` under `root` for reading. Throws, before any backend is asked
 * anything: NOT_FOUND when nothing is there; INVALID_INPUT for a directory,
 * FIFO, socket or device; ACCESS_DENIED when the path leads outside the root
 * through a symbolic link. O_NONBLOCK keeps a FIFO from blocking the open.
 */
export async function openResultFile(root: string, path: string): Promise<OpenedResultFile> {
  const realRoot = await realRootOf(root);
  let handle: FileHandle;
  try {
    handle = await open(join(root, path), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NotFoundError(`offload input "${path}" is not a file on the results disk`, { cause, key: path });
    }
    throw new StorageError(ErrorCode.InvalidInput, `offload input "${path}" cannot be opened (${code ?? 'error'})`, {
      cause,
      key: path,
    });
  }
  try {
    const info = await handle.stat();
    const kind = fileKind(info);
    if (kind !== 'file') {
      throw new StorageError(ErrorCode.InvalidInput, `offload input "${path}" is a ${kind}, not a regular file`, {
        key: path,
      });
    }
    const realPath = await realPathOf(handle, join(root, path), info);
    if (realPath !== realRoot && !realPath.startsWith(realRoot + sep)) {
      throw new StorageError(
        ErrorCode.AccessDenied,
        `offload input "${path}" leads outside the results disk through a symbolic link; only files inside it are offloaded`,
        { key: path },
      );
    }
    const identity = fileIdentityOf(info);
    return { path, realPath, handle, identity, size: identity.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Why the opened file is no longer what was verified, or undefined when it
 * still is: the handle's file must be unchanged (size, mtime, ctime) and the
 * path must still lead to that very file (not a new version renamed over it).
 */
export async function changeSince(file: OpenedResultFile, root: string): Promise<string | undefined> {
  const now = fileIdentityOf(await file.handle.stat());
  if (!sameFileIdentity(now, file.identity)) return 'the file was modified while it was being offloaded';
  let atPath: Stats;
  try {
    atPath = await stat(join(root, file.path));
  } catch {
    return 'the file was removed while it was being offloaded';
  }
  if (!sameFileIdentity(fileIdentityOf(atPath), file.identity))
    return 'a new version replaced the file while it was being offloaded';
  return undefined;
}

const DELETED_SUFFIX = ' (deleted)';

function fileKind(info: Stats): string {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isFIFO()) return 'FIFO (named pipe)';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  return 'special file';
}

async function realRootOf(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch (cause) {
    throw new StorageError(ErrorCode.Misconfigured, `the results disk root "${root}" cannot be resolved`, { cause });
  }
}

/**
 * The real path of the file the handle holds. On Linux /proc/self/fd names the
 * opened file itself (symlinks resolved), whatever the path points to now; a
 * file replaced since it was opened reads as "<its path> (deleted)", still the
 * place it was opened from. Elsewhere the path is resolved and must still lead
 * to the same inode as the handle.
 */
async function realPathOf(handle: FileHandle, path: string, info: Stats): Promise<string> {
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    return opened.endsWith(DELETED_SUFFIX) ? opened.slice(0, -DELETED_SUFFIX.length) : opened;
  } catch {
    const resolved = await realpath(path);
    const again = await stat(resolved);
    if (again.dev !== info.dev || again.ino !== info.ino) {
      throw new StorageError(ErrorCode.InvalidInput, 'the result file was replaced while it was being opened');
    }
    return resolved;
  }
}
