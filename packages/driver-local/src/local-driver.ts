import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  type CopyOptions,
  type DeleteManyResult,
  type DriverCapabilities,
  ErrorCode,
  emptySweepResult,
  encodeKeyPath,
  type ListEntry,
  type ListOptions,
  type ObjectStat,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type ProbeReport,
  parseSettings,
  presignExpiresIn,
  type ReadOptions,
  resolveSweepOptions,
  runProbe,
  type StorageDriver,
  StorageError,
  type SweepIncompleteUploadsOptions,
  type SweepIncompleteUploadsResult,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import pLimit from 'p-limit';
import { copyObject, moveObject } from './copy-move.js';
import { deleteObject } from './delete-object.js';
import { fsError } from './fs-errors.js';
import { listObjects } from './list-objects.js';
import { validateLocalKey } from './local-keys.js';
import { objectExists, readObject, statObject } from './read-object.js';
import { RootDirectory } from './root-directory.js';
import { type LocalDriverSettings, localDriverSettingsSchema } from './settings.js';
import {
  normalizeBasePath,
  type SignedRequest,
  type SignedUrlVerdict,
  signLocalUrl,
  verifyLocalSignedUrl,
} from './signed-url.js';
import { writeObject } from './write-object.js';

/** Lifetime of a presigned URL when the caller gives none. */
const DEFAULT_PRESIGN_EXPIRES_IN = 3600;
const DELETE_CONCURRENCY = 8;

interface Signing {
  readonly secret: string;
  readonly baseUrl: string;
}

/**
 * The local results disk as a StorageDriver. Objects are plain files at their
 * key's path under `root`, written atomically; content type, cache-control
 * and metadata live in sidecars under `<root>/.stowage-meta/` (hidden from
 * listings; keys may not start with that segment). Presigned URLs are
 * HMAC-signed and served by `createLocalFileHandler`.
 *
 * Folders of objects are never removed by default, even when a delete or move
 * empties them: other writers (the platform's generators) create folders and
 * then write into them with plain fs calls. Listings never show empty folders.
 * Set `pruneEmptyFolders: true` for S3-like tidiness on a disk only Stowage writes to.
 */
export class LocalDriver implements StorageDriver {
  readonly kind = 'local';
  readonly capabilities: DriverCapabilities;
  /** The root folder as configured. */
  readonly root: string;
  readonly #dir: RootDirectory;
  readonly #publicBaseUrl: string | undefined;
  readonly #signing: Signing | undefined;

  /** Validates `settings` (MISCONFIGURED naming every bad field) and builds the driver without I/O. */
  constructor(settings: LocalDriverSettings) {
    const parsed = parseSettings('local driver settings', localDriverSettingsSchema, settings);
    this.root = parsed.root;
    this.#dir = new RootDirectory(parsed.root, parsed.createRoot ?? false, parsed.pruneEmptyFolders ?? false);
    this.#publicBaseUrl = parsed.publicBaseUrl;
    this.#signing =
      parsed.signingSecret && parsed.signedUrlBaseUrl
        ? { secret: parsed.signingSecret, baseUrl: parsed.signedUrlBaseUrl }
        : undefined;
    this.capabilities = {
      publicUrls: this.#publicBaseUrl !== undefined,
      presignedUrls: this.#signing !== undefined,
      incompleteUploads: false,
    };
  }

  /** URL path under which signed URLs put keys ("/files" for https://app.example/files); undefined without signing. */
  get signedUrlBasePath(): string | undefined {
    return this.#signing ? normalizeBasePath(new URL(this.#signing.baseUrl).pathname) : undefined;
  }

  /** Writes atomically: temp file in the target folder, fsync, rename (link for ifNotExists), fsync folder. */
  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    return writeObject(this.#dir, validateLocalKey(key), body, options);
  }

  /** Streams the object or a byte range of it. */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    return readObject(this.#dir, validateLocalKey(key), options);
  }

  /** Size, etag, content type, cache-control, last modified and metadata. */
  async stat(key: string): Promise<ObjectStat> {
    return statObject(this.#dir, validateLocalKey(key));
  }

  /** True when a file exists under the key. */
  async exists(key: string): Promise<boolean> {
    return objectExists(this.#dir, validateLocalKey(key));
  }

  /** Deletes the object and its metadata; succeeds when missing. Its folder stays unless pruneEmptyFolders. */
  async delete(key: string): Promise<void> {
    await deleteObject(this.#dir, validateLocalKey(key));
  }

  /** Validates every key first (INVALID_KEY, nothing deleted), then deletes with bounded concurrency. */
  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    if (!Array.isArray(keys)) throw new StorageError(ErrorCode.InvalidInput, 'deleteMany expects an array of keys');
    const valid = keys.map((key) => validateLocalKey(key));
    const deleted: string[] = [];
    const failed: Array<{ key: string; error: Error }> = [];
    const limit = pLimit(DELETE_CONCURRENCY);
    await Promise.all(
      valid.map((key) =>
        limit(async () => {
          try {
            await deleteObject(this.#dir, key);
            deleted.push(key);
          } catch (error) {
            failed.push({ key, error: fsError(error, 'deleting', key) });
          }
        }),
      ),
    );
    return { deleted, failed };
  }

  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix?: string, options?: ListOptions): AsyncIterable<ListEntry> {
    return listObjects(this.#dir, prefix, options);
  }

  /** Copies content and metadata; the destination appears atomically. */
  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    await copyObject(this.#dir, validateLocalKey(from), validateLocalKey(to), options.ifNotExists === true);
  }

  /** Renames the object (and its metadata) inside the root. */
  async move(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    await moveObject(this.#dir, validateLocalKey(from), validateLocalKey(to), options.ifNotExists === true);
  }

  /** `publicBaseUrl` plus the percent-encoded key; UNSUPPORTED without a public base. */
  publicUrl(key: string): string {
    const valid = validateLocalKey(key);
    if (!this.#publicBaseUrl) {
      throw new StorageError(ErrorCode.Unsupported, 'public URLs need publicBaseUrl in the local driver settings', {
        key: valid,
      });
    }
    return `${this.#publicBaseUrl.replace(/\/+$/, '')}/${encodeKeyPath(valid)}`;
  }

  /** A signed download URL for `createLocalFileHandler`. */
  async presignGet(key: string, options: PresignGetOptions = {}): Promise<PresignedRequest> {
    const valid = validateLocalKey(key);
    const signing = this.#requireSigning(valid);
    const expires = expiryFor(valid, options.expiresIn);
    checkHeaderOption(valid, 'contentDisposition', options.contentDisposition);
    checkHeaderOption(valid, 'contentType', options.contentType);
    const url = signLocalUrl(signing.secret, signing.baseUrl, {
      method: 'GET',
      key: valid,
      expires,
      responseContentDisposition: options.contentDisposition,
      responseContentType: options.contentType,
    });
    return { url, method: 'GET', headers: {}, expiresAt: new Date(expires * 1000) };
  }

  /** A signed upload URL; the upload must send exactly the signed content type and length. */
  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    const valid = validateLocalKey(key);
    const signing = this.#requireSigning(valid);
    const expires = expiryFor(valid, options?.expiresIn);
    checkHeaderOption(valid, 'contentType', options?.contentType, true);
    const length = options.contentLength;
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new StorageError(ErrorCode.InvalidInput, 'presignPut: contentLength must be a non-negative integer', {
        key: valid,
      });
    }
    const url = signLocalUrl(signing.secret, signing.baseUrl, {
      method: 'PUT',
      key: valid,
      expires,
      contentType: options.contentType,
      contentLength: length,
    });
    return {
      url,
      method: 'PUT',
      headers: { 'content-type': options.contentType },
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * Checks a request to a signed URL (see `verifyLocalSignedUrl`). `basePath`
   * defaults to the path of `signedUrlBaseUrl`. UNSUPPORTED without signing settings.
   */
  verifySignedRequest(request: SignedRequest, basePath?: string, now?: Date): SignedUrlVerdict {
    const signing = this.#requireSigning();
    const path = basePath ?? normalizeBasePath(new URL(signing.baseUrl).pathname);
    return verifyLocalSignedUrl(request, { secret: signing.secret, basePath: path, now });
  }

  /** Connect (root exists and is writable), then write, read back, compare and delete a probe file. */
  async probe(): Promise<ProbeReport> {
    return runProbe(this, {
      connect: async () => {
        const real = await this.#dir.real();
        try {
          await access(real, constants.W_OK | constants.R_OK);
        } catch (error) {
          throw fsError(error, `accessing root directory "${this.root}"`);
        }
      },
    });
  }

  /**
   * Local disk has no multipart uploads: checks the options like every driver
   * (INVALID_INPUT before any I/O) and aborts nothing. A crashed write's temp
   * file is not an upload; it carries the reserved prefix and never shows in listings.
   */
  async sweepIncompleteUploads(options?: SweepIncompleteUploadsOptions): Promise<SweepIncompleteUploadsResult> {
    const resolved = resolveSweepOptions(options);
    if (resolved.key !== undefined) validateLocalKey(resolved.key);
    return emptySweepResult();
  }

  /** Nothing to release: every operation closes its own file handles. */
  async close(): Promise<void> {}

  #requireSigning(key?: string): Signing {
    if (this.#signing) return this.#signing;
    throw new StorageError(
      ErrorCode.Unsupported,
      'presigned URLs need signingSecret and signedUrlBaseUrl in the local driver settings',
      { key },
    );
  }
}

/** Unix time (seconds) at which a URL signed now for `expiresIn` seconds expires. */
function expiryFor(key: string, expiresIn: number | undefined): number {
  return Math.floor(Date.now() / 1000) + presignExpiresIn(key, expiresIn, DEFAULT_PRESIGN_EXPIRES_IN);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkHeaderOption(key: string, name: string, value: unknown, required = false): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0 || CONTROL.test(value)) {
    throw new StorageError(ErrorCode.InvalidInput, `${name} must be a non-empty string without control characters`, {
      key,
    });
  }
}

/** Builds a LocalDriver from raw settings; throws MISCONFIGURED listing every bad field. */
export function createLocalDriver(settings: LocalDriverSettings): LocalDriver {
  return new LocalDriver(settings);
}
