import { ErrorCode, StorageError } from '@stowage/storage-core';

/** The errno-style code of a Node fs error, if any. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

const BY_ERRNO: Record<string, ErrorCode> = {
  ENOENT: ErrorCode.NotFound,
  EACCES: ErrorCode.AccessDenied,
  EPERM: ErrorCode.AccessDenied,
  EROFS: ErrorCode.AccessDenied,
  ENOSPC: ErrorCode.Unavailable,
  EDQUOT: ErrorCode.Unavailable,
  EIO: ErrorCode.Unavailable,
  EMFILE: ErrorCode.Unavailable,
  ENFILE: ErrorCode.Unavailable,
  EBUSY: ErrorCode.Unavailable,
  EAGAIN: ErrorCode.Unavailable,
  ENAMETOOLONG: ErrorCode.InvalidKey,
  ENOTDIR: ErrorCode.InvalidInput,
  EISDIR: ErrorCode.InvalidInput,
};

const EXPLANATION: Partial<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR:
    'a parent segment of the key is an existing object, and local disk cannot hold an object and a folder of the same name',
  EISDIR:
    'the key names a folder on disk (of other objects, or one kept empty), and local disk cannot hold an object and a folder of the same name',
  ENAMETOOLONG: 'the path is too long for the file system',
  EACCES: 'the process may not access this path',
  EPERM: 'the operation is not permitted on this path',
  EROFS: 'the file system is read-only',
};

/**
 * Turns a Node fs error into a StorageError with a stable code, keeping the
 * original as `cause`. StorageErrors pass through unchanged.
 */
export function fsError(error: unknown, operation: string, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const errno = errnoCode(error);
  const code = (errno && BY_ERRNO[errno]) || ErrorCode.Unknown;
  const why = (errno && EXPLANATION[errno]) || (error as Error | undefined)?.message || String(error);
  const subject = key === undefined ? operation : `${operation} "${key}"`;
  return new StorageError(code, `${subject} failed on local disk: ${why}${errno ? ` (${errno})` : ''}`, {
    cause: error,
    key,
    details: errno ? { errno } : undefined,
  });
}

/**
 * INVALID_INPUT for a key that cannot exist on disk because of another one:
 * local disk cannot hold an object and a folder of the same name.
 */
export function nameConflict(key: string, where: 'folder' | 'parent', cause?: unknown): StorageError {
  const errno = where === 'folder' ? 'EISDIR' : 'ENOTDIR';
  return new StorageError(ErrorCode.InvalidInput, `writing "${key}" failed on local disk: ${EXPLANATION[errno]}`, {
    key,
    cause,
  });
}
