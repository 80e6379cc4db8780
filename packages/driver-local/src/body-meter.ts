import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCode, StorageError, type TransferProgress } from '@stowage/storage-core';

/**
 * A pass-through that counts bytes, reports progress and enforces a declared
 * length: more bytes than declared fail at once, fewer fail at the end.
 */
export class BodyMeter extends Transform {
  loaded = 0;
  readonly #expected: number | undefined;
  readonly #onProgress: ((progress: TransferProgress) => void) | undefined;
  readonly #key: string;

  constructor(key: string, expected: number | undefined, onProgress?: (progress: TransferProgress) => void) {
    super();
    this.#key = key;
    this.#expected = expected;
    this.#onProgress = onProgress;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.loaded += bytes.byteLength;
    if (this.#expected !== undefined && this.loaded > this.#expected) {
      callback(this.#lengthError('more'));
      return;
    }
    this.#report();
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expected !== undefined && this.loaded !== this.#expected) {
      callback(this.#lengthError('fewer'));
      return;
    }
    // Guarantees a final event even for an empty body.
    if (this.loaded === 0) this.#report();
    callback();
  }

  #report(): void {
    this.#onProgress?.({ loaded: this.loaded, total: this.#expected });
  }

  #lengthError(direction: 'more' | 'fewer'): StorageError {
    return new StorageError(
      ErrorCode.InvalidInput,
      `body for key "${this.#key}" has ${direction} bytes than the declared length of ${this.#expected} bytes (got ${direction === 'more' ? 'at least ' : ''}${this.loaded})`,
      { key: this.#key, details: { expected: this.#expected, received: this.loaded } },
    );
  }
}
