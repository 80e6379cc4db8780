import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK_BYTES = 64 * 1024;

/**
 * A deterministic pseudo-random byte stream of `size` bytes, produced chunk by
 * chunk so a large body never sits in memory. The same `seed` always gives the
 * same bytes, so the expected hash can be computed by generating it again.
 * Pseudo-random rather than constant so swapped or repeated chunks are caught.
 */
export function generatedChunks(size: number, seed = 1): AsyncGenerator<Uint8Array> {
  let state = seed >>> 0 || 0x9e3779b9;
  let remaining = size;
  return (async function* () {
    while (remaining > 0) {
      const length = Math.min(CHUNK_BYTES, remaining);
      const words = new Uint32Array(Math.ceil(length / 4));
      for (let i = 0; i < words.length; i++) {
        // xorshift32: fast and good enough to make every chunk distinct.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      remaining -= length;
      yield new Uint8Array(words.buffer, 0, length);
    }
  })();
}

/** `generatedChunks` as a Node Readable. */
export function generatedStream(size: number, seed = 1): Readable {
  return Readable.from(generatedChunks(size, seed), { objectMode: false });
}

/** `generatedChunks` as a web ReadableStream. */
export function generatedWebStream(size: number, seed = 1): ReadableStream<Uint8Array> {
  const chunks = generatedChunks(size, seed);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

/** SHA-256 (hex) and byte count of a stream, consumed chunk by chunk. */
export async function digestStream(
  stream: AsyncIterable<Uint8Array | string>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(buffer);
    bytes += buffer.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}
