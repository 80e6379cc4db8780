import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  abortedError,
  type ByteRange,
  type CopyOptions,
  type DeleteManyResult,
  type DriverCapabilities,
  ErrorCode,
  emptySweepResult,
  encodeKeyPath,
  type ListEntry,
  type ListOptions,
  NotFoundError,
  type ObjectStat,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type ProbeReport,
  parseSettings,
  type ReadOptions,
  resolveContentType,
  resolveSweepOptions,
  runProbe,
  type StorageDriver,
  StorageError,
  type SweepIncompleteUploadsOptions,
  type SweepIncompleteUploadsResult,
  validateKey,
  validatePrefix,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import { collectBody } from './collect-body.js';
import { MemoryBucket, type StoredObject } from './memory-bucket.js';
import { checkPresignOptions, presignExpiry } from './presign-options.js';
import { PresignedUrlServer } from './presigned-url-server.js';
import { memoryDriverSettingsSchema } from './settings.js';
import { checkWriteOptions } from './write-options.js';

/** Options of `createMemoryDriver()`. */
export interface MemoryDriverOptions {
  /** Where the objects live; a new, empty bucket when omitted. Share one to keep objects across drivers. */
  bucket?: MemoryBucket;
  /** Base URL for `publicUrl()` (as a CDN in front of a bucket would be); without it, public URLs are UNSUPPORTED. */
  publicBaseUrl?: string;
}

/** Chunk size of read streams: large objects stream in pieces, as from a real backend. */
const READ_CHUNK_BYTES = 64 * 1024;
/** The page size of a listing when the caller gives none: S3's. */
const DEFAULT_PAGE_SIZE = 1000;

function missing(key: string): NotFoundError {
  return new NotFoundError(`no object under key "${key}"`, { key });
}

function checkedRange(key: string, range: ByteRange | undefined): ByteRange | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `invalid range for key "${key}": start must be a whole number ≥ 0 and end ≥ start`,
      { key },
    );
  }
  return range;
}

/** A stream of copies of `bytes[start..end]`, so nothing a reader does reaches the stored buffer. */
function copiesOf(bytes: Buffer, start: number, end: number): Readable {
  return Readable.from(
    (function* () {
      for (let at = start; at < end; at += READ_CHUNK_BYTES) {
        yield Buffer.copyBytesFrom(bytes, at, Math.min(READ_CHUNK_BYTES, end - at));
      }
    })(),
  );
}

/**
 * An in-memory StorageDriver for app tests: the whole contract (streams in
 * and out, ranges, only-if-absent, metadata, copy/move, paged listing,
 * public and presigned URLs, probe, AbortSignal), with no disk, no server to
 * install and no network beyond 127.0.0.1. Presigned URLs are real: a tiny
 * node:http server on a loopback port (started on the first presign, stopped
 * by `close()`) answers them, so `fetch()` works on them.
 *
 * Objects live in a `MemoryBucket` (`driver.bucket`), which outlives the
 * driver: after `close()` only the presigned URLs stop; the objects can still
 * be read and inspected (`driver.bucket.keys()`).
 */
export class MemoryDriver implements StorageDriver {
  readonly kind = 'memory';
  readonly capabilities: DriverCapabilities;
  /** The objects, for assertions in tests: `keys()`, `size`, `clear()`. */
  readonly bucket: MemoryBucket;
  readonly #publicBaseUrl: string | undefined;
  readonly #urls: PresignedUrlServer;
  #closed = false;

  /** Validates the options (MISCONFIGURED naming every bad field) and builds the driver without I/O. */
  constructor(options: MemoryDriverOptions = {}) {
    const { bucket, ...settings } = options;
    if (bucket !== undefined && !(bucket instanceof MemoryBucket)) {
      throw new StorageError(ErrorCode.Misconfigured, 'memory driver: bucket must be a MemoryBucket');
    }
    const parsed = parseSettings('memory driver settings', memoryDriverSettingsSchema, settings);
    this.bucket = bucket ?? new MemoryBucket();
    this.#publicBaseUrl = parsed.publicBaseUrl?.replace(/\/+$/, '');
    this.capabilities = {
      publicUrls: this.#publicBaseUrl !== undefined,
      presignedUrls: true,
      incompleteUploads: false,
    };
    this.#urls = new PresignedUrlServer({
      lookup: (key) => this.bucket.get(key),
      write: (key, body, writeOptions) => this.write(key, body, writeOptions),
    });
  }

  /** Stores a copy of the body once it has been read whole; until then the previous object stays. */
  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    const valid = validateKey(key);
    checkWriteOptions(valid, options);
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, valid);
    this.#refuseIfExists(valid, options.ifNotExists);
    const bytes = await collectBody(valid, body, options);
    // Checked again at commit: another write may have stored the key while this body streamed in.
    this.#refuseIfExists(valid, options.ifNotExists);
    const object: StoredObject = {
      bytes,
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      contentType: resolveContentType(valid, options.contentType),
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
      metadata: Object.freeze({ ...options.metadata }),
      lastModified: new Date(),
    };
    this.bucket.put(valid, object);
    return { key: valid, size: bytes.length, etag: object.etag, checksum: 'none' };
  }

  /** Streams copies of the object's bytes (or of a byte range); a later overwrite does not change a read under way. */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const valid = validateKey(key);
    const range = checkedRange(valid, options.range);
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, valid);
    const { bytes } = this.#existing(valid);
    if (range && range.start >= bytes.length) {
      throw new StorageError(
        ErrorCode.RangeNotSatisfiable,
        `range starts at byte ${range.start} but "${valid}" has ${bytes.length} bytes`,
        { key: valid },
      );
    }
    const start = range?.start ?? 0;
    const end = range?.end === undefined ? bytes.length : Math.min(range.end + 1, bytes.length);
    const stream = copiesOf(bytes, start, end);
    if (signal) {
      const stop = () => stream.destroy(abortedError(signal, valid));
      signal.addEventListener('abort', stop, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', stop));
    }
    return stream;
  }

  /** Size, etag, content type, cache-control, last modified and a copy of the metadata. */
  async stat(key: string): Promise<ObjectStat> {
    const valid = validateKey(key);
    const object = this.#existing(valid);
    return {
      key: valid,
      size: object.bytes.length,
      etag: object.etag,
      contentType: object.contentType,
      cacheControl: object.cacheControl,
      lastModified: new Date(object.lastModified),
      metadata: { ...object.metadata },
    };
  }

  /** True when an object is stored under the key (a prefix of other keys is not one). */
  async exists(key: string): Promise<boolean> {
    return this.bucket.get(validateKey(key)) !== undefined;
  }

  /** Removes the object; succeeds when it is already missing. */
  async delete(key: string): Promise<void> {
    this.bucket.delete(validateKey(key));
  }

  /** Validates every key first (INVALID_KEY, nothing deleted), then removes them all. */
  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    if (!Array.isArray(keys)) throw new StorageError(ErrorCode.InvalidInput, 'deleteMany expects an array of keys');
    const valid = keys.map((key) => validateKey(key));
    for (const key of valid) this.bucket.delete(key);
    return { deleted: valid, failed: [] };
  }

  /**
   * Objects whose key starts with `prefix`, in UTF-8 byte order, a page at a
   * time: the keys are taken when the listing starts, and each page reads the
   * objects then, so one deleted meanwhile is left out (as S3 would).
   */
  async *list(prefix?: string, options: ListOptions = {}): AsyncGenerator<ListEntry> {
    const wanted = validatePrefix(prefix);
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new StorageError(ErrorCode.InvalidInput, 'list: pageSize must be a whole number of at least 1');
    }
    const keys = this.bucket.keysStartingWith(wanted);
    for (let at = 0; at < keys.length; at += pageSize) {
      if (options.signal?.aborted) throw abortedError(options.signal);
      const page: ListEntry[] = [];
      for (const key of keys.slice(at, at + pageSize)) {
        const object = this.bucket.get(key);
        if (object) page.push({ key, size: object.bytes.length, etag: object.etag, lastModified: object.lastModified });
      }
      yield* page;
    }
  }

  /** Copies bytes, content type and metadata; the destination gets a new last-modified date. */
  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    const source = validateKey(from);
    const destination = validateKey(to);
    const object = this.#existing(source);
    this.#refuseIfExists(destination, options.ifNotExists);
    this.bucket.put(destination, { ...object, lastModified: new Date() });
  }

  /** Copies, then removes the source: the destination exists before the source is gone. */
  async move(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    const source = validateKey(from);
    const destination = validateKey(to);
    if (source === destination) {
      this.#existing(source);
      return;
    }
    await this.copy(source, destination, options);
    this.bucket.delete(source);
  }

  /** `publicBaseUrl` plus the percent-encoded key; UNSUPPORTED without a public base. */
  publicUrl(key: string): string {
    const valid = validateKey(key);
    if (this.#publicBaseUrl === undefined) {
      throw new StorageError(ErrorCode.Unsupported, 'public URLs need publicBaseUrl in the memory driver options', {
        key: valid,
      });
    }
    return `${this.#publicBaseUrl}/${encodeKeyPath(valid)}`;
  }

  /** A download URL served on 127.0.0.1 until it expires or the driver is closed. */
  async presignGet(key: string, options: PresignGetOptions = {}): Promise<PresignedRequest> {
    const valid = validateKey(key);
    checkPresignOptions(valid, options, false);
    const expiresAt = presignExpiry(valid, options.expiresIn);
    const url = await this.#serve({
      method: 'GET',
      key: valid,
      expiresAt: expiresAt.getTime(),
      responseContentDisposition: options.contentDisposition,
      responseContentType: options.contentType,
    });
    return { url, method: 'GET', headers: {}, expiresAt };
  }

  /** An upload URL that takes exactly the signed content type and length. */
  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    const valid = validateKey(key);
    checkPresignOptions(valid, options, true);
    const expiresAt = presignExpiry(valid, options.expiresIn);
    const url = await this.#serve({
      method: 'PUT',
      key: valid,
      expiresAt: expiresAt.getTime(),
      contentType: options.contentType,
      contentLength: options.contentLength,
    });
    return { url, method: 'PUT', headers: { 'content-type': options.contentType }, expiresAt };
  }

  /** Write, read back, compare and delete a probe object. */
  async probe(): Promise<ProbeReport> {
    return runProbe(this);
  }

  /** Stops the presigned-URL server. The objects stay in the bucket. */
  /** A memory write is whole or absent: there are no incomplete uploads to sweep. */
  async sweepIncompleteUploads(options?: SweepIncompleteUploadsOptions): Promise<SweepIncompleteUploadsResult> {
    const resolved = resolveSweepOptions(options);
    if (resolved.key !== undefined) validateKey(resolved.key);
    return emptySweepResult();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#urls.close();
  }

  async #serve(grant: Parameters<PresignedUrlServer['urlFor']>[0]): Promise<string> {
    if (this.#closed) {
      throw new StorageError(ErrorCode.Unavailable, 'the memory driver was closed: it serves no more presigned URLs', {
        key: grant.key,
      });
    }
    return this.#urls.urlFor(grant);
  }

  #existing(key: string): StoredObject {
    const object = this.bucket.get(key);
    if (!object) throw missing(key);
    return object;
  }

  #refuseIfExists(key: string, ifNotExists: boolean | undefined): void {
    if (ifNotExists && this.bucket.get(key)) {
      throw new StorageError(ErrorCode.PreconditionFailed, `an object already exists under key "${key}"`, { key });
    }
  }
}

/** A memory driver with a new, empty bucket unless `options.bucket` names one. */
export function createMemoryDriver(options: MemoryDriverOptions = {}): MemoryDriver {
  return new MemoryDriver(options);
}
