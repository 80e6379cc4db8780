import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 (hex) of a file, streamed so large videos never sit in memory. */
export async function sha256File(filePath: string): Promise<string> {
  return sha256Stream(createReadStream(filePath));
}

/** SHA-256 (hex) of everything a stream yields, chunk by chunk, so large objects never sit in memory. */
export async function sha256Stream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
