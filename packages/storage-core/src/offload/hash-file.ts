import { createHash } from 'node:crypto';
import { openFileSource } from '../file-source.js';

/**
 * SHA-256 (hex) of a file, streamed so large videos never sit in memory. The
 * file is opened first (NOT_FOUND, INVALID_INPUT as StorageErrors), and one
 * that changes while read fails with CHANGED_DURING_OFFLOAD.
 */
export async function sha256File(filePath: string): Promise<string> {
  return sha256Stream((await openFileSource({ filePath })).stream);
}

/** SHA-256 (hex) of everything a stream yields, chunk by chunk, so large objects never sit in memory. */
export async function sha256Stream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
