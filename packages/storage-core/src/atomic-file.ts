/**
 * Atomic file writes, shared by the settings file and the local driver: the
 * bytes go to a temp file in the destination's own folder (same file system,
 * so the final rename is atomic), the temp file is fsynced, renamed over the
 * destination, and the folder is fsynced so the new name itself survives a
 * crash. A crash leaves the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** An open temp file next to its destination. */
export interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/** How temp files are named and created. */
export interface TempFileOptions {
  /** Start of the temp file's name, so listings can skip it (e.g. ".stowage-tmp-"). */
  readonly prefix: string;
  /** File mode of the new file, e.g. 0o600 for a file only its owner may read. */
  readonly mode: number;
}

/** A fresh, unpredictable temp path in `dir`. */
export function tempPathIn(dir: string, prefix: string): string {
  return join(dir, `${prefix}${randomBytes(12).toString('hex')}`);
}

/** Creates (O_EXCL, so never an existing file) and opens a new temp file in `dir`. */
export async function createTempFile(dir: string, options: TempFileOptions): Promise<TempFile> {
  const path = tempPathIn(dir, options.prefix);
  const handle = await open(path, 'wx', options.mode);
  return { path, handle };
}

/** Writes `data` to a new temp file in `dir`, fsyncs and closes it, and returns its path; nothing is left on failure. */
export async function writeTempFile(dir: string, data: string | Uint8Array, options: TempFileOptions): Promise<string> {
  const temp = await createTempFile(dir, options);
  try {
    try {
      await temp.handle.writeFile(data);
      await temp.handle.sync();
    } finally {
      await temp.handle.close();
    }
    return temp.path;
  } catch (error) {
    await removeQuietly(temp.path);
    throw error;
  }
}

/**
 * Replaces (or creates) the file at `path` with `data`, atomically and
 * durably; its folder is created when missing. Throws the file-system error;
 * no temp file is left behind.
 */
export async function replaceFile(path: string, data: string | Uint8Array, options: TempFileOptions): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = await writeTempFile(dir, data, options);
  try {
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDirectory(dir);
}

/** Flushes a folder's entries to disk. Skipped where folders cannot be opened or synced (Windows, some file systems). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/** Deletes a file, ignoring every error: for cleanup paths that must not mask the real failure. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
