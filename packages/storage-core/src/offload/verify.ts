/**
 * Proving that what a backend stores is what was sent, before anything is
 * reported offloaded or removed from local disk.
 */
import { ErrorCode, StorageError } from '../errors.js';
import type { StorageDriver, WriteResult } from '../types.js';
import { sha256Stream } from './hash-file.js';
import { type SentFile, SHA256_METADATA_KEY } from './send-file.js';

/** Checksums a driver computes from the bytes it sent and compares with the backend's stored checksum. */
const DRIVER_VERIFIED: ReadonlySet<WriteResult['checksum']> = new Set(['md5', 'multipart-md5', 'sha256']);

/**
 * Proves the stored object holds the sent bytes: sizes (reported and from a
 * fresh stat) must match, and the content must be proven either by the
 * driver's own checksum or, when it checked none, by streaming the object back
 * and comparing its SHA-256. The "sha256" metadata is only a cheap early
 * mismatch signal: it was written by us, so it proves nothing about the bytes.
 */
export async function verifyStored(driver: StorageDriver, sent: SentFile): Promise<void> {
  const { key, size, sha256, written } = sent;
  if (written.size !== size) {
    throw mismatch(key, `the backend reported ${written.size} bytes written, the file has ${size}`);
  }
  const remote = await driver.stat(key);
  if (remote.size !== size) throw mismatch(key, `the stored object has ${remote.size} bytes, the file has ${size}`);
  const stored = remote.metadata[SHA256_METADATA_KEY];
  if (stored !== undefined && stored !== sha256) {
    throw mismatch(key, 'the stored object carries a different SHA-256 than the local file');
  }
  if (DRIVER_VERIFIED.has(written.checksum)) return;
  if ((await sha256Stream(await driver.read(key))) !== sha256) {
    throw mismatch(key, 'the bytes read back from the backend have a different SHA-256 than the local file');
  }
}

function mismatch(key: string, detail: string): StorageError {
  return new StorageError(ErrorCode.ChecksumMismatch, `upload of "${key}" did not verify: ${detail}`, { key });
}
