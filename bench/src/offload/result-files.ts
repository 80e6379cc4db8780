/**
 * The files every tool offloads: pseudo-random content from a fixed seed
 * (AES-256-CTR keystream, so any size is generated at disk speed and no two
 * files share a block), written to a real directory on local disk. Each
 * workload is one sub-directory, so Stowage offloads `<dir>/<name>`, the raw
 * SDK uploads the same keys and rclone copies the same directory.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a stored copy of one file must match. */
interface ExpectedFile {
  readonly size: number;
  readonly sha256: string;
}

/** Keys (relative to the results root) and what each must be, for one workload directory. */
export type ExpectedFiles = ReadonlyMap<string, ExpectedFile>;

const BLOCK = 1024 * 1024;
const ZEROS = Buffer.alloc(BLOCK);

/** A stream of `size` pseudo-random bytes determined by `seed`. */
function seededBytes(seed: string, size: number): Readable {
  const key = createHash('sha256').update(`stowage-offload-bench:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  let left = size;
  return new Readable({
    highWaterMark: BLOCK,
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const take = Math.min(BLOCK, left);
      left -= take;
      this.push(cipher.update(ZEROS.subarray(0, take)));
    },
  });
}

/** Writes one seeded file and returns its size and SHA-256, hashed as it is written. */
async function writeSeededFile(filePath: string, seed: string, size: number): Promise<ExpectedFile> {
  const hash = createHash('sha256');
  await pipeline(
    seededBytes(seed, size),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(filePath),
  );
  return { size, sha256: hash.digest('hex') };
}

/** File name of entry `index` of `count`: zero-padded so listings sort in creation order. */
function fileName(index: number, count: number): string {
  return `${String(index).padStart(String(count - 1).length, '0')}.bin`;
}

/**
 * Writes `count` files of `size` bytes into `<root>/<dir>/` (a few at a time)
 * and returns every key with its expected size and SHA-256.
 */
export async function writeResultFiles(root: string, dir: string, count: number, size: number): Promise<ExpectedFiles> {
  await mkdir(join(root, dir), { recursive: true });
  const expected = new Map<string, ExpectedFile>();
  const names = Array.from({ length: count }, (_, index) => fileName(index, count));
  const parallel = 8;
  for (let start = 0; start < names.length; start += parallel) {
    const batch = names.slice(start, start + parallel);
    const files = await Promise.all(
      batch.map((name) => writeSeededFile(join(root, dir, name), `${dir}/${name}`, size)),
    );
    batch.forEach((name, index) => {
      expected.set(`${dir}/${name}`, files[index] as ExpectedFile);
    });
  }
  return expected;
}
