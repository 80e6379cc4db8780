/**
 * Proving that what a backend stores is what was sent, before anything is
 * reported offloaded or removed from local disk.
 */
import { ErrorCode, StorageError } from '../errors.js';
import type { StorageDriver, WriteResult } from '../types.js';
import { sha256Stream } from './hash-file.js';
import { type SentFile, SHA256_METADATA_KEY } from './send-file.js';

/**
 * Checksums the backend itself reported for the stored object (its ETag or
 * checksum) that the driver compared with one computed from the bytes it sent.
 */
const BACKEND_CONFIRMED: ReadonlySet<WriteResult['checksum']> = new Set(['md5', 'multipart-md5', 'sha256']);

/**
 * Proves the stored object holds the sent bytes. The driver must have written
 * exactly the file's size. When it compared the backend's own checksum of the
 * stored object with the bytes it sent, that proves size and content at once:
 * no further request (a HEAD here cost a second request per file, the largest
 * share of offload's per-file cost; bench/README.md). When it checked none,
 * a fresh stat must show the size, its "sha256" metadata (written by us, so
 * only a cheap early mismatch signal) must agree, and the object is streamed
 * back and its SHA-256 compared.
 */
export async function verifyStored(driver: StorageDriver, sent: SentFile): Promise<void> {
  const { key, size, sha256, written } = sent;
  if (written.size !== size) {
    throw mismatch(key, `the backend reported ${written.size} bytes written, the file has ${size}`);
  }
  if (BACKEND_CONFIRMED.has(written.checksum)) return;
  const remote = await driver.stat(key);
  if (remote.size !== size) throw mismatch(key, `the stored object has ${remote.size} bytes, the file has ${size}`);
  const stored = remote.metadata[SHA256_METADATA_KEY];
  if (stored !== undefined && stored !== sha256) {
    throw mismatch(key, 'the stored object carries a different SHA-256 than the local file');
  }
  if ((await sha256Stream(await driver.read(key))) !== sha256) {
    throw mismatch(key, 'the bytes read back from the backend have a different SHA-256 than the local file');
  }
}

function mismatch(key: string, detail: string): StorageError {
  return new StorageError(ErrorCode.ChecksumMismatch, `upload of "${key}" did not verify: ${detail}`, { key });
}
