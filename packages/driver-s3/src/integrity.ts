/**
 * Write integrity: a pass-through stream that counts the bytes and computes the
 * MD5 S3 will report as ETag, both for a single PUT (hex MD5 of the body) and for
 * a multipart upload with uniform parts (MD5 of the concatenated binary part
 * MD5s, then "-<parts>"). It also enforces a length the caller promised.
 *
 * Each byte is hashed once, per part: a single PUT is a one-part body, so its
 * MD5 is that part's digest. Hashing the whole body as well cost about a third
 * of upload throughput (bench/README.md).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { type ChecksumKind, ErrorCode, StorageError } from '@stowage/storage-core';

/** What a returned ETag is compared with: the digests of the parts as sent. */
export interface SentDigests {
  /** Hex MD5 of the whole body when it was at most one part (what a single PUT sends), else undefined. */
  md5Hex(): string | undefined;
  /** The ETag S3 computes for a multipart upload of these parts. */
  multipartEtag(): string;
}

/** The binary MD5 of each part sent, in part order. */
export class PartDigests implements SentDigests {
  readonly #digests: Buffer[] = [];

  /** Records the digest of part `index` (0-based); parts may finish in any order. */
  set(index: number, digest: Buffer): void {
    this.#digests[index] = digest;
  }

  /** Parts recorded so far (the highest index plus one). */
  get count(): number {
    return this.#digests.length;
  }

  md5Hex(): string | undefined {
    if (this.#digests.length === 0) return createHash('md5').digest('hex');
    if (this.#digests.length === 1) return (this.#digests[0] as Buffer).toString('hex');
    return undefined;
  }

  multipartEtag(): string {
    const combined = createHash('md5');
    for (const digest of this.#digests) combined.update(digest);
    return `${combined.digest('hex')}-${this.#digests.length}`;
  }
}

/** Counts, hashes and length-checks a body on its way to the upload. */
export class IntegrityStream extends Transform implements SentDigests {
  /** Bytes that passed through so far. */
  bytes = 0;
  #part: Hash = createHash('md5');
  #partBytes = 0;
  readonly #partDigests = new PartDigests();
  readonly #partSize: number;
  readonly #expectedLength: number | undefined;
  readonly #key: string;

  constructor(partSize: number, expectedLength: number | undefined, key: string) {
    super();
    this.#partSize = partSize;
    this.#expectedLength = expectedLength;
    this.#key = key;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    this.bytes += data.length;
    if (this.#expectedLength !== undefined && this.bytes > this.#expectedLength) {
      callback(this.#lengthError());
      return;
    }
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(this.#partSize - this.#partBytes, data.length - offset);
      this.#part.update(data.subarray(offset, offset + take));
      this.#partBytes += take;
      offset += take;
      if (this.#partBytes === this.#partSize) this.#closePart();
    }
    callback(null, data);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expectedLength !== undefined && this.bytes !== this.#expectedLength) {
      callback(this.#lengthError());
      return;
    }
    if (this.#partBytes > 0) this.#closePart();
    callback();
  }

  /**
   * Hex MD5 of the whole body when it was at most one part (what a single PUT
   * sends), else undefined. Valid after the stream ended.
   */
  md5Hex(): string | undefined {
    return this.#partDigests.md5Hex();
  }

  /** The ETag S3 computes for a multipart upload of this body with uniform parts. */
  multipartEtag(): string {
    return this.#partDigests.multipartEtag();
  }

  #closePart(): void {
    this.#partDigests.set(this.#partDigests.count, this.#part.digest());
    this.#part = createHash('md5');
    this.#partBytes = 0;
  }

  #lengthError(): StorageError {
    // The caller's promise about the body was wrong: bad input, not corruption in transit.
    return new StorageError(
      ErrorCode.InvalidInput,
      `body for "${this.#key}" is ${this.bytes > (this.#expectedLength ?? 0) ? 'longer' : 'shorter'} than the contentLength ${this.#expectedLength} given (${this.bytes} bytes seen)`,
      { key: this.#key, details: { expectedLength: this.#expectedLength, seenBytes: this.bytes } },
    );
  }
}

/** Outcome of comparing a returned ETag with the computed one. */
export interface EtagCheck {
  readonly kind: ChecksumKind;
  readonly matches: boolean;
  readonly expected?: string;
}

/**
 * Compares the ETag a server returned with what was computed. ETags that are
 * not MD5-based (SSE-KMS, SSE-C, some providers) cannot be checked: kind 'none'.
 */
export function checkEtag(etag: string | undefined, integrity: SentDigests, md5Based: boolean): EtagCheck {
  const normalized = etag?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
  if (!md5Based || !normalized) return { kind: 'none', matches: true };
  if (/^[0-9a-f]{32}$/.test(normalized)) {
    const expected = integrity.md5Hex();
    // A plain-MD5 ETag for a multipart body is a provider's own scheme: not checkable.
    if (expected === undefined) return { kind: 'none', matches: true };
    return { kind: 'md5', matches: normalized === expected, expected };
  }
  if (/^[0-9a-f]{32}-\d+$/.test(normalized)) {
    const expected = integrity.multipartEtag();
    return { kind: 'multipart-md5', matches: normalized === expected, expected };
  }
  return { kind: 'none', matches: true };
}
