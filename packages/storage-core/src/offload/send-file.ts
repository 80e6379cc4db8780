/**
 * Sends one opened result file to a backend. Small files (up to one part) are
 * read once into memory through the open handle, hashed and sent as bytes, so
 * what is hashed is exactly what is sent and a retry re-sends the same bytes.
 * Larger files are hashed through the handle, then sent as `{ filePath,
 * identity }`: the driver streams them and, for a retry, re-opens them only if
 * the path still holds that very unchanged file; the checks after the upload
 * (see `changeSince`) prove the file did not change meanwhile.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, StorageError } from '../errors.js';
import type { StorageDriver, WriteResult } from '../types.js';
import type { OpenedResultFile } from './result-file.js';

/** Files up to this size are sent from memory: one read, one hash, one PUT. */
const IN_MEMORY_BODY_BYTES = 8 * 1024 * 1024;

/** The metadata field that carries the local file's SHA-256 for audits and verification. */
export const SHA256_METADATA_KEY = 'sha256';

/** The metadata field that names the attempt that wrote an object, so its own bytes can be recognised. */
export const ATTEMPT_METADATA_KEY = 'stowage-attempt';

/** How one file is written. */
export interface SendTarget {
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly attemptId: string;
  readonly signal: AbortSignal | undefined;
  /** Refuse with PRECONDITION_FAILED when the key already holds an object (templated keys, see result-keys.ts). */
  readonly ifNotExists?: boolean;
}

/** What was sent: the file's bytes as hashed, and what the driver reported. */
export interface SentFile {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly written: WriteResult;
}

/** Hashes and writes `file` to `driver` under `target.key`. */
export async function sendFile(driver: StorageDriver, file: OpenedResultFile, target: SendTarget): Promise<SentFile> {
  const { body, sha256 } =
    file.size <= IN_MEMORY_BODY_BYTES
      ? await readWhole(file)
      : { body: { filePath: file.realPath, identity: file.identity }, sha256: await hashThroughHandle(file) };
  const written = await driver.write(target.key, body, {
    contentType: target.contentType,
    metadata: { ...target.metadata, [SHA256_METADATA_KEY]: sha256, [ATTEMPT_METADATA_KEY]: target.attemptId },
    contentLength: file.size,
    // In memory, the bytes sent are the bytes hashed: an S3 backend checks them against it.
    ...(file.size <= IN_MEMORY_BODY_BYTES ? { sha256 } : {}),
    signal: target.signal,
    ...(target.ifNotExists ? { ifNotExists: true } : {}),
  });
  return { key: target.key, size: file.size, sha256, written };
}

/**
 * Reads exactly `file.size` bytes through the handle; a shorter or longer file
 * changed since it was opened. One read asks for one byte more than the size:
 * a regular file's read returns less than asked only at its end (POSIX;
 * libuv retries an interrupted read), so that one read shows both a file that
 * shrank and one that grew, without a second read to find the end.
 */
async function readWhole(file: OpenedResultFile): Promise<{ body: Uint8Array; sha256: string }> {
  const buffer = Buffer.allocUnsafe(file.size + 1);
  const { bytesRead } = await file.handle.read(buffer, 0, file.size + 1, 0);
  if (bytesRead < file.size) throw changed(file, 'it became shorter while it was being read');
  if (bytesRead > file.size) throw changed(file, 'it grew while it was being read');
  const body = buffer.subarray(0, file.size);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/** Bytes per read of the SHA-256 pass; one buffer, reused, so the pass leaves no garbage behind. */
const HASH_CHUNK_BYTES = 1024 * 1024;

/**
 * SHA-256 of the whole file through the handle, read into one reused buffer:
 * a file stream would allocate a fresh 64 KiB chunk per read, garbage the
 * collector lets pile up to tens of MiB of RSS (bench/README.md).
 */
async function hashThroughHandle(file: OpenedResultFile): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(HASH_CHUNK_BYTES, file.size));
  let offset = 0;
  while (offset < file.size) {
    const { bytesRead } = await file.handle.read(buffer, 0, Math.min(buffer.length, file.size - offset), offset);
    if (bytesRead === 0) throw changed(file, 'it became shorter while it was being read');
    hash.update(buffer.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return hash.digest('hex');
}

function changed(file: OpenedResultFile, why: string): StorageError {
  return new StorageError(ErrorCode.ChangedDuringOffload, `result "${file.path}" changed during offload: ${why}`, {
    key: file.path,
  });
}
