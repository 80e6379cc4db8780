/**
 * The S3 driver: Amazon S3 and every S3-compatible, configured by settings plus
 * a provider preset. R2 is this class with R2's rules applied to the settings.
 */
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  abortedError,
  type CopyOptions,
  configureFailureReport,
  type DeleteManyResult,
  type DriverCapabilities,
  type DriverContext,
  ErrorCode,
  encodeKeyPath,
  isStorageError,
  type ListEntry,
  type ListOptions,
  type Logger,
  type ObjectStat,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type ProbeReport,
  parseSettings,
  type ReadOptions,
  resolveSweepOptions,
  runProbe,
  type StorageDriver,
  StorageError,
  type SweepIncompleteUploadsOptions,
  type SweepIncompleteUploadsResult,
  silentLogger,
  validateKey,
  validatePrefix,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import { backendKeyFor } from './backend-key.js';
import { type S3ClientOptions, S3Clients } from './client.js';
import { resolveS3Config, type S3DriverConfig } from './config.js';
import { copyObjectInput } from './copy-object.js';
import { deleteManyObjects } from './delete-many.js';
import { toStorageError } from './errors.js';
import { sweepIncompleteUploads } from './incomplete-uploads.js';
import { listObjects } from './list.js';
import { presignGetUrl, presignPutUrl } from './presign.js';
import { s3ProbeSteps } from './probe-steps.js';
import { classifiedBody, rangeHeader } from './read-stream.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { type HoldingSdkLogger, sdkLogger } from './sdk-logger.js';
import { type S3SettingsInput, s3SettingsSchema } from './settings.js';
import { CLEANUP_TIMEOUT_MS, uploadObject } from './upload.js';

/**
 * `backend` and `logger` are the registry's (DriverContext): the SDK's warnings
 * go to `logger`, and so does what a write that succeeded could not clean up.
 */
export interface S3DriverOptions extends Partial<DriverContext> {
  /** Driver kind reported to callers and in probe reports; "s3" unless a wrapper (R2) says otherwise. */
  readonly kind?: string;
  /** Subject of configuration errors, e.g. "S3 settings" or "R2 settings". */
  readonly settingsSubject?: string;
  /** Client knobs that are not user settings (TLS trust, clock offset, Expect header). */
  readonly client?: S3ClientOptions;
  /** Called before each retry of a failed attempt; for logs and tests. */
  readonly onRetry?: (error: Error, attempt: number) => void | Promise<void>;
  /** How long aborting what a failed write left keeps retrying (default 60 s, see upload.ts). */
  readonly cleanupWindowMs?: number;
}

/**
 * A StorageDriver for S3 and S3-compatibles. Construction validates settings
 * and does no I/O. Credentials and clients live in `#private` fields: no
 * spread, enumeration, JSON or inspect of a driver shows them.
 */
export class S3Driver implements StorageDriver {
  readonly kind: string;
  readonly capabilities: DriverCapabilities;
  readonly #config: S3DriverConfig;
  readonly #onRetry: S3DriverOptions['onRetry'];
  readonly #cleanupWindowMs: number | undefined;
  readonly #clients: S3Clients;
  readonly #secrets: readonly string[];
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #backend: string;
  readonly #sdkLogger: HoldingSdkLogger;
  #closed = false;

  /** Validates `settings` (ConfigError listing every problem) and builds the client. */
  constructor(settings: S3SettingsInput, options: S3DriverOptions = {}) {
    const parsed = parseSettings(options.settingsSubject ?? 'S3 settings', s3SettingsSchema, settings);
    this.kind = options.kind ?? 's3';
    this.#config = resolveS3Config(parsed);
    const { secretAccessKey, sessionToken } = this.#config.credentials;
    this.#secrets = [secretAccessKey, sessionToken ?? ''].filter(Boolean);
    this.#retry = { retries: this.#config.retries, minDelayMs: this.#config.retryDelayMs };
    this.#onRetry = options.onRetry;
    this.#cleanupWindowMs = options.cleanupWindowMs;
    this.capabilities = {
      publicUrls: this.#config.publicBaseUrl !== undefined,
      presignedUrls: true,
      incompleteUploads: true,
      // upload.ts sets details.uncertain on every failed write that may have stored the object.
      marksUncertainWrites: true,
    };
    this.#logger = options.logger ?? silentLogger;
    this.#backend = options.backend ?? this.kind;
    this.#sdkLogger = sdkLogger(this.#logger, { backend: this.#backend, source: 'aws-sdk' }, this.#secrets);
    this.#clients = new S3Clients(this.#config, { ...options.client, logger: this.#sdkLogger });
  }

  /** The underlying SDK client, for helpers such as R2's CORS policy. */
  get client(): S3Client {
    this.#assertOpen();
    return this.#clients.main;
  }

  /** The bucket this driver writes to. */
  get bucket(): string {
    return this.#config.bucket;
  }

  /** The prefix every key gets on the backend ("" or ending in "/"). */
  get keyPrefix(): string {
    return this.#config.keyPrefix;
  }

  /** A view safe for logs and JSON: where the driver points, never its credentials. */
  toJSON(): Record<string, unknown> {
    const { provider, endpoint, region, bucket, keyPrefix, publicBaseUrl } = this.#config;
    return { kind: this.kind, provider, endpoint, region, bucket, keyPrefix, publicBaseUrl };
  }

  /** console.log and util.inspect show the redacted view, not the client and its credentials. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `S3Driver ${JSON.stringify(this.toJSON())}`;
  }

  /** Writes an object, streaming and verifying it (see upload.ts). */
  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    validateKey(key);
    this.#assertOpen();
    const target = {
      client: this.#clients.main,
      cleanupClient: () => this.#clients.cleanup(CLEANUP_TIMEOUT_MS),
      directPut: this.#clients.directPut(),
      config: this.#config,
      key,
      backendKey: this.#backendKey(key),
      secrets: this.#secrets,
      onRetry: this.#onRetry,
      cleanupWindowMs: this.#cleanupWindowMs,
      logger: this.#logger,
      backend: this.#backend,
    };
    return uploadObject(target, body, options);
  }

  /** Opens the object (or a byte range) as a stream; opening is retried, reading is not. */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    validateKey(key);
    const range = rangeHeader(key, options.range);
    this.#assertOpen();
    const { signal } = options;
    const output = await this.#attempt('read', key, signal, () =>
      this.#clients.main.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#backendKey(key), ...(range ? { Range: range } : {}) }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    const body = output.Body as Readable | undefined;
    if (!body) throw new StorageError(ErrorCode.Unknown, `read "${key}" returned no body`, { key });
    return classifiedBody(body, { operation: 'read', bucket: this.bucket, key, secrets: this.#secrets }, signal);
  }

  /** Size, etag, type, cache-control, last modified and metadata; NOT_FOUND when missing. */
  async stat(key: string): Promise<ObjectStat> {
    validateKey(key);
    this.#assertOpen();
    const head = await this.#attempt('stat', key, undefined, () =>
      this.#clients.main.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#backendKey(key) })),
    );
    return {
      key,
      size: head.ContentLength ?? 0,
      etag: head.ETag?.replace(/"/g, ''),
      contentType: head.ContentType,
      cacheControl: head.CacheControl,
      lastModified: head.LastModified ?? new Date(0),
      metadata: { ...(head.Metadata ?? {}) },
    };
  }

  /** True when the object exists, false on NOT_FOUND; any other failure (e.g. 403) throws. */
  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (isStorageError(error, ErrorCode.NotFound)) return false;
      throw error;
    }
  }

  /** Deletes the object; a missing object counts as deleted. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    this.#assertOpen();
    try {
      await this.#attempt('delete', key, undefined, () =>
        this.#clients.main.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#backendKey(key) })),
      );
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) throw error;
    }
  }

  /** Deletes many objects in batches; per-key failures are reported, not thrown. */
  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    this.#assertOpen();
    return deleteManyObjects({ ...this.#requests(), batch: this.#config.supportsBatchDelete }, keys);
  }

  /** Every object whose key starts with `prefix`, paging transparently. */
  list(prefix = '', options: ListOptions = {}): AsyncIterable<ListEntry> {
    validatePrefix(prefix);
    this.#assertOpen();
    return listObjects(this.#requests(), prefix, options.pageSize, options.signal);
  }

  /** Server-side copy (no ACL read: R2 has no GetObjectAcl). NOT_FOUND when the source is missing. */
  async copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    validateKey(from);
    validateKey(to);
    this.#assertOpen();
    if (options.ifNotExists && (await this.exists(to))) {
      throw new StorageError(ErrorCode.PreconditionFailed, `copy to "${to}" refused: the destination already exists`, {
        key: to,
      });
    }
    const input = copyObjectInput(this.#config, this.#backendKey(from), this.#backendKey(to), !!options.ifNotExists);
    try {
      await this.#attempt('copy', from, undefined, () => this.#clients.main.send(new CopyObjectCommand(input)));
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) throw error;
      const message = `copy failed: source "${from}" not found in bucket "${this.bucket}"`;
      throw new StorageError(ErrorCode.NotFound, message, { key: from, cause: error });
    }
  }

  /** Copies, then deletes the source: the destination exists before the source goes. */
  async move(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    await this.copy(from, to, options);
    await this.delete(from);
  }

  /** Public base URL plus the encoded backend key; UNSUPPORTED without a public base. */
  publicUrl(key: string): string {
    validateKey(key);
    if (!this.#config.publicBaseUrl) {
      throw new StorageError(
        ErrorCode.Unsupported,
        `no public URL for "${key}": this ${this.kind} backend has no public base URL configured (set publicBaseUrl)`,
        { key },
      );
    }
    return `${this.#config.publicBaseUrl}/${encodeKeyPath(this.#backendKey(key))}`;
  }

  /** A time-limited GET URL on the S3 endpoint (never on the public domain). */
  async presignGet(key: string, options: PresignGetOptions = {}): Promise<PresignedRequest> {
    validateKey(key);
    this.#assertOpen();
    return presignGetUrl(this.#presignTarget(key), options);
  }

  /** A time-limited PUT URL with content type and exact length signed in. */
  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    validateKey(key);
    this.#assertOpen();
    return presignPutUrl(this.#presignTarget(key), options);
  }

  /**
   * Aborts incomplete multipart uploads under the key prefix started more than
   * `olderThanMs` ago (default 24 h), paging through ListMultipartUploads.
   */
  async sweepIncompleteUploads(options?: SweepIncompleteUploadsOptions): Promise<SweepIncompleteUploadsResult> {
    const resolved = resolveSweepOptions(options);
    this.#assertOpen();
    return sweepIncompleteUploads(this.#requests(), resolved);
  }

  /** "Test connection": connect (a one-key listing), write, read back, compare, public URL, delete (probe-steps.ts). */
  async probe(): Promise<ProbeReport> {
    if (this.#closed) return configureFailureReport(this.kind, this.#closedError());
    const publicUrl = this.capabilities.publicUrls ? (key: string) => this.publicUrl(key) : undefined;
    return runProbe(this, s3ProbeSteps({ ...this.#requests(), publicUrl }));
  }

  /** Closes the keep-alive sockets. The driver refuses further operations. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clients.destroy();
    this.#sdkLogger.flushHeld();
  }

  /** The key on the backend; INVALID_KEY before any I/O when the prefix pushes it past S3's 1,024 bytes. */
  #backendKey(key: string): string {
    return backendKeyFor(this.#config.keyPrefix, key);
  }

  // What the batch delete and listing modules need to send requests.
  #requests() {
    const { keyPrefix } = this.#config;
    return { client: this.#clients.main, bucket: this.bucket, keyPrefix, retry: this.#retry, secrets: this.#secrets };
  }

  #presignTarget(key: string) {
    const client = this.#clients.presign();
    return { client, bucket: this.bucket, key, backendKey: this.#backendKey(key), getUrls: this.#clients.getUrls() };
  }

  /** Runs an idempotent request with retries, mapping every failure to a StorageError. */
  #attempt<T>(operation: string, key: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    return withRetry(
      this.#retry,
      async () => {
        try {
          return await run();
        } catch (error) {
          if (signal?.aborted) throw abortedError(signal, key);
          throw toStorageError(error, { operation, bucket: this.bucket, key, secrets: this.#secrets });
        }
      },
      { signal, key, onRetry: this.#onRetry },
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  #closedError(): StorageError {
    return new StorageError(ErrorCode.Unsupported, `this ${this.kind} driver was closed; create a new one`);
  }
}

/**
 * Creates an S3 driver from raw settings. Throws one ConfigError listing every
 * problem before any network call.
 */
export function createS3Driver(settings: S3SettingsInput, options: S3DriverOptions = {}): S3Driver {
  return new S3Driver(settings, options);
}
