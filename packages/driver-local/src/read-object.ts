import type { BigIntStats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { addAbortSignal, Readable } from 'node:stream';
import {
  abortedError,
  type ByteRange,
  ErrorCode,
  NotFoundError,
  type ObjectStat,
  type ReadOptions,
  resolveContentType,
  StorageError,
} from '@stowage/storage-core';
import { errnoCode, fsError } from './fs-errors.js';
import { objectPaths } from './object-commit.js';
import { etagOf, lastModifiedOf } from './object-info.js';
import type { RootDirectory } from './root-directory.js';
import { readSidecar } from './sidecar.js';

function notFound(key: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`object "${key}" does not exist`, { key, cause });
}

/** Stats the file of `key` through the traversal check; NOT_FOUND when missing or a folder. */
async function statFile(root: RootDirectory, key: string): Promise<{ path: string; info: BigIntStats }> {
  const paths = await objectPaths(root, key);
  const resolved = await root.resolveExisting(paths.real, paths.target, key);
  if (!resolved) throw notFound(key);
  let info: BigIntStats;
  try {
    info = await stat(resolved, { bigint: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound(key, error);
    throw fsError(error, 'stat of', key);
  }
  if (!info.isFile()) throw notFound(key);
  return { path: resolved, info };
}

/** Size, etag, dates and metadata of `key` (validated). */
export async function statObject(root: RootDirectory, key: string): Promise<ObjectStat> {
  const { info } = await statFile(root, key);
  const paths = await objectPaths(root, key);
  const size = Number(info.size);
  const sidecar = await readSidecar(paths.sidecar, info.ino, size).catch((error) => {
    throw fsError(error, 'reading metadata of', key);
  });
  return {
    key,
    size,
    etag: etagOf(info),
    contentType: sidecar?.contentType ?? resolveContentType(key),
    cacheControl: sidecar?.cacheControl,
    lastModified: lastModifiedOf(info),
    metadata: { ...(sidecar?.metadata ?? {}) },
  };
}

/** True when `key` is a file under the root. */
export async function objectExists(root: RootDirectory, key: string): Promise<boolean> {
  try {
    await statFile(root, key);
    return true;
  } catch (error) {
    if (error instanceof StorageError && error.code === ErrorCode.NotFound) return false;
    throw error;
  }
}

/** Checks a range's shape (not its fit to the object); INVALID_INPUT before any I/O. */
function checkRange(key: string, range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new StorageError(ErrorCode.InvalidInput, `range start must be a non-negative integer (key "${key}")`, {
      key,
    });
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new StorageError(ErrorCode.InvalidInput, `range end must be an integer not below start (key "${key}")`, {
      key,
    });
  }
}

/**
 * Opens `key` for reading. The file is opened first and then measured through
 * its handle, so the range is checked against the very file being streamed
 * even if a writer replaces the key meanwhile.
 */
export async function readObject(root: RootDirectory, key: string, options: ReadOptions = {}): Promise<Readable> {
  const { range, signal } = options;
  checkRange(key, range);
  if (signal?.aborted) throw abortedError(signal, key);
  const { path } = await statFile(root, key);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound(key, error);
    throw fsError(error, 'reading', key);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notFound(key);
    let start = 0;
    let end = info.size - 1;
    if (range) {
      if (range.start >= info.size) {
        throw new StorageError(
          ErrorCode.RangeNotSatisfiable,
          `range start ${range.start} is past the end of "${key}" (${info.size} bytes)`,
          { key, status: 416, details: { size: info.size } },
        );
      }
      start = range.start;
      end = Math.min(range.end ?? end, info.size - 1);
    }
    let stream: Readable;
    if (info.size === 0) {
      await handle.close();
      stream = Readable.from([]);
    } else {
      stream = handle.createReadStream({ start, end, autoClose: true });
    }
    return signal ? addAbortSignal(signal, stream) : stream;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}
