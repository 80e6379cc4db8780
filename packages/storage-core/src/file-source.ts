/**
 * Files as write bodies, read so that a generator racing Stowage (removing,
 * truncating, appending to or replacing the file while it is read) can never
 * crash the process or slip other bytes in:
 *
 * - the path is opened once (O_NOFOLLOW: a symbolic link in its last component
 *   is refused; O_NONBLOCK: a FIFO cannot block the open), and everything after
 *   works on that handle, so a path re-pointed later changes nothing;
 * - the open handle is checked: a regular file, and, when the caller names one,
 *   the very file (device, inode) in the very state (size, mtime, ctime) meant;
 * - reading counts bytes against the size measured at open, and at the end the
 *   handle is checked again: a file that shrank, grew, was removed or replaced
 *   (its change time moves) while read rejects with CHANGED_DURING_OFFLOAD;
 * - the stream only fails while its consumer reads it, with a StorageError,
 *   and never because of a lazy open or a late close (unlike
 *   `fs.createReadStream(path)`, whose open errors arrive as an 'error' event
 *   that crashes a process with no listener).
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorCode, StorageError } from './errors.js';
import type { FileIdentity, FileSource } from './types.js';

/** Bytes per read: the chunk size of Node's own file streams. */
const CHUNK_BYTES = 64 * 1024;

/** O_NOFOLLOW and O_NONBLOCK where the platform has them (not on Windows). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The identity of a file from its stat (from `stat`, `lstat` or a handle's `stat`, in number form). */
export function fileIdentityOf(stats: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

/** True when both name the same file in the same state. */
export function sameFileIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function isFileIdentity(value: unknown): value is FileIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'].every((name) => Number.isFinite(fields[name]));
}

/** A file opened for one write attempt. */
export interface OpenedFile {
  /** The file's bytes; fails with CHANGED_DURING_OFFLOAD when the file changes while read. */
  readonly stream: Readable;
  /** Size at open: exactly this many bytes are streamed, or the stream fails. */
  readonly length: number;
  /** Identity of the file that was opened; pass it back in `FileSource.identity` to re-open the same file. */
  readonly identity: FileIdentity;
}

function subject(path: string, key: string | undefined): string {
  return `source file "${path}"${key === undefined ? '' : ` for key "${key}"`}`;
}

/** The StorageError for a source file that is not the one meant any more. */
export function changedDuringOffload(path: string, key: string | undefined, what: string): StorageError {
  return new StorageError(
    ErrorCode.ChangedDuringOffload,
    `${subject(path, key)} changed while it was being written from: ${what}; nothing was stored from it`,
    { key, details: { filePath: path } },
  );
}

const UNAVAILABLE_ERRNO = new Set(['EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EBUSY']);

/** Maps an fs error on the source file (open, read, stat) to a StorageError naming the path. */
function sourceError(error: unknown, path: string, key: string | undefined, doing: string): StorageError {
  if (error instanceof StorageError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const detail = `${(error as Error | undefined)?.message ?? String(error)}`;
  const options = { cause: error, key, details: { filePath: path, ...(errno ? { errno } : {}) } };
  if (errno === 'ENOENT' || errno === 'ENOTDIR') {
    return new StorageError(ErrorCode.NotFound, `${subject(path, key)} does not exist (${errno})`, options);
  }
  if (errno === 'ELOOP') {
    return new StorageError(
      ErrorCode.InvalidInput,
      `${subject(path, key)} is a symbolic link; give the path of the file itself (ELOOP)`,
      options,
    );
  }
  const code = UNAVAILABLE_ERRNO.has(errno) ? ErrorCode.Unavailable : ErrorCode.InvalidInput;
  return new StorageError(code, `cannot read ${subject(path, key)} while ${doing}: ${detail}`, options);
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** A source file opened and checked as `openFileSource` does, for callers that read it by ranges. */
export interface OpenedFileHandle {
  /** The open file; the caller closes it. */
  readonly handle: FileHandle;
  /** Its stat at open (what `fileChangedSince` compares with). */
  readonly stats: Stats;
  /** Identity of the file that was opened. */
  readonly identity: FileIdentity;
}

/**
 * Opens and checks a `{ filePath }` body like `openFileSource`, but returns the
 * handle itself (the caller reads it, for example by ranges, and closes it).
 * Same failures: NOT_FOUND, INVALID_INPUT, CHANGED_DURING_OFFLOAD.
 */
export async function openFileHandle(source: FileSource, key?: string): Promise<OpenedFileHandle> {
  const path = source.filePath;
  if (source.identity !== undefined && !isFileIdentity(source.identity)) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `identity of ${subject(path, key)} must be { dev, ino, size, mtimeMs, ctimeMs } with finite numbers (see fileIdentityOf)`,
      { key },
    );
  }
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw sourceError(error, path, key, 'opening it');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new StorageError(ErrorCode.InvalidInput, `${subject(path, key)} is ${kindOf(stats)}, not a regular file`, {
        key,
        details: { filePath: path },
      });
    }
    const identity = fileIdentityOf(stats);
    if (source.identity !== undefined && !sameFileIdentity(source.identity, identity)) {
      const what =
        source.identity.dev === identity.dev && source.identity.ino === identity.ino
          ? 'its size or modification time differs from the state it was checked in'
          : 'the path now holds another file';
      throw changedDuringOffload(path, key, what);
    }
    return { handle, stats, identity };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw sourceError(error, path, key, 'checking it');
  }
}

/**
 * Checks an opened file once more after it was read: CHANGED_DURING_OFFLOAD
 * when it was removed, replaced or modified since it was opened, else undefined.
 */
export async function fileChangedSince(
  opened: OpenedFileHandle,
  path: string,
  key?: string,
): Promise<StorageError | undefined> {
  let now: Stats;
  try {
    now = await opened.handle.stat();
  } catch (error) {
    return sourceError(error, path, key, 'checking it after reading');
  }
  const was = opened.stats;
  if (now.nlink === 0) return changedDuringOffload(path, key, 'it was removed or replaced while it was read');
  if (now.size !== was.size || now.mtimeMs !== was.mtimeMs || now.ctimeMs !== was.ctimeMs) {
    return changedDuringOffload(path, key, 'it was modified while it was read');
  }
  return undefined;
}

/**
 * Opens a `{ filePath }` body for one write attempt (see the module comment).
 * Rejects with NOT_FOUND when the file is missing, INVALID_INPUT when it is a
 * symbolic link, a directory, a FIFO, a socket or a device, and
 * CHANGED_DURING_OFFLOAD when `source.identity` is given and the path now holds
 * another file or the same file changed.
 */
export async function openFileSource(source: FileSource, key?: string): Promise<OpenedFile> {
  const { handle, stats, identity } = await openFileHandle(source, key);
  return { stream: new FileBodyStream(handle, stats, source.filePath, key), length: stats.size, identity };
}

/**
 * Streams an open file from its current position, exactly `opened.size` bytes,
 * then checks the handle once more before ending. Owns the handle: closes it
 * when it ends or is destroyed, and a failing close never becomes an error.
 */
class FileBodyStream extends Readable {
  readonly #handle: FileHandle;
  readonly #opened: Stats;
  readonly #path: string;
  readonly #key: string | undefined;
  #bytes = 0;

  constructor(handle: FileHandle, opened: Stats, path: string, key: string | undefined) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#handle = handle;
    this.#opened = opened;
    this.#path = path;
    this.#key = key;
  }

  override _read(): void {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    // Position null: read on from the handle's own offset, as the file is consumed once, front to back.
    this.#handle.read(buffer, 0, CHUNK_BYTES, null).then(
      ({ bytesRead }) => {
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.#finish();
          return;
        }
        this.#bytes += bytesRead;
        if (this.#bytes > this.#opened.size) {
          this.destroy(this.#changed(`it grew past the ${this.#opened.size} bytes it had when opened`));
          return;
        }
        this.push(buffer.subarray(0, bytesRead));
      },
      (error: unknown) => {
        if (!this.destroyed) this.destroy(sourceError(error, this.#path, this.#key, 'reading it'));
      },
    );
  }

  /** At end of file: the count must match, and the handle must show the file as it was opened. */
  #finish(): void {
    if (this.#bytes < this.#opened.size) {
      this.destroy(this.#changed(`it shrank to ${this.#bytes} of the ${this.#opened.size} bytes it had when opened`));
      return;
    }
    this.#handle.stat().then(
      (now) => {
        if (this.destroyed) return;
        const opened = this.#opened;
        if (now.nlink === 0) this.destroy(this.#changed('it was removed or replaced while it was read'));
        else if (now.size !== opened.size || now.mtimeMs !== opened.mtimeMs || now.ctimeMs !== opened.ctimeMs) {
          this.destroy(this.#changed('it was modified while it was read'));
        } else this.push(null);
      },
      (error: unknown) => {
        if (!this.destroyed) this.destroy(sourceError(error, this.#path, this.#key, 'checking it after reading'));
      },
    );
  }

  #changed(what: string): StorageError {
    return changedDuringOffload(this.#path, this.#key, what);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // FileHandle.close waits for a read still in flight, so the descriptor is never reused under it.
    this.#handle.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
