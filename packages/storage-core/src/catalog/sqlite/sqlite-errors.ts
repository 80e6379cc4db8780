/**
 * SQLite's failures as the catalog's StorageErrors, so that a caller (offload
 * reporting an outcome, the worker deciding to retry) reads a stable code, not
 * `node:sqlite`'s error: a write lock another connection held past the busy
 * timeout and a full disk are UNAVAILABLE (transient: the next attempt may
 * pass), a file the process may not write MISCONFIGURED. A StorageError (a
 * uniqueness rule, worded by conflicts.ts) passes through.
 */
import { ErrorCode, StorageError } from '../../errors.js';

/** Primary result codes (the low byte of an extended code), https://sqlite.org/rescode.html. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_FULL = 13;

/** `error` from a write on catalog `file` as a StorageError; anything that is not SQLite's as it is. */
export function sqliteFailure(file: string, error: unknown): unknown {
  if (error instanceof StorageError) return error;
  const errcode = (error as { errcode?: unknown } | undefined)?.errcode;
  if (typeof errcode !== 'number') return error;
  const said = (error as Error).message;
  const make = (code: ErrorCode, message: string) => new StorageError(code, message, { cause: error });
  switch (errcode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make(
        ErrorCode.Unavailable,
        `catalog ${file}: another connection held the write lock past the busy timeout (${said})`,
      );
    case SQLITE_FULL:
      return make(ErrorCode.Unavailable, `catalog ${file}: the disk is full (${said})`);
    case SQLITE_READONLY:
      return make(ErrorCode.Misconfigured, `catalog ${file} cannot be written by this process (${said})`);
    default:
      return make(ErrorCode.Unknown, `catalog ${file}: ${said}`);
  }
}
