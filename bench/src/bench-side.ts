/**
 * The operations every case needs, implemented once over the raw AWS SDK and
 * once over the Stowage driver, so a case's code is the same for both sides and
 * only the implementation under test differs.
 */
import type { Readable } from 'node:stream';

/** One implementation under test. */
export interface BenchSide {
  /** One cheap request, so lazy SDK loading and the first TCP connection stay out of the timing. */
  warmUp(): Promise<void>;
  /** Uploads a big body (multipart); resolves with the bytes the side reports as written. */
  upload(key: string, body: Readable | { filePath: string }, bytes: number): Promise<number>;
  /** Writes a small in-memory body. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Opens the object as a stream. */
  open(key: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Key the warm-up asks about; it never exists. */
export const WARM_UP_KEY = 'warm-up/absent.bin';
/** Content type both sides send, so neither pays for a different header. */
export const BENCH_CONTENT_TYPE = 'application/octet-stream';
