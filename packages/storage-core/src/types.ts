/**
 * The driver contract: one interface every backend implements and the shared
 * conformance suite (`@stowage/storage-core/testing`) checks. Keys here are
 * always the caller's keys: a driver applies its own key prefix internally and
 * never shows it to callers.
 */
import type { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * Which file, in which state: device and inode name the file itself (a path can
 * be re-pointed at another file at any time); size, modification time and
 * change time tell whether it is unchanged. Read it from a stat with
 * `fileIdentityOf`.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * Body from a file on local disk. Re-openable, so writes from it can be
 * retried. The file is opened once per attempt without following a symbolic
 * link in its last component, must be a regular file, and must not change while
 * it is read (see file-source.ts).
 */
export interface FileSource {
  readonly filePath: string;
  /**
   * The file the caller means (e.g. the one it hashed). When given, every open,
   * retries included, checks that the path still holds this very file,
   * unchanged, and rejects with CHANGED_DURING_OFFLOAD otherwise.
   */
  readonly identity?: FileIdentity;
}

/**
 * What can be written: bytes, a UTF-8 string, a Node readable, a web
 * ReadableStream, or a file on local disk (`{ filePath }`).
 */
export type WriteBody =
  | Uint8Array
  | string
  | Readable
  | WebReadableStream<Uint8Array>
  | ReadableStream<Uint8Array>
  | FileSource;

/** Progress of a long transfer. `total` is undefined when the length is unknown. */
export interface TransferProgress {
  readonly loaded: number;
  readonly total: number | undefined;
}

export interface WriteOptions {
  /** MIME type; detected from the key's extension when omitted. */
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** User metadata; keys are lower-cased ASCII, values are strings. */
  metadata?: Record<string, string>;
  /** Refuse the write with PRECONDITION_FAILED when the key already exists. */
  ifNotExists?: boolean;
  /**
   * Exact body length when the caller knows it (streams). Drivers use it to avoid
   * buffering and to reject a body that turns out shorter or longer.
   */
  contentLength?: number;
  /**
   * The body's SHA-256 (64 hex digits) when the caller already hashed it (offload
   * does). The S3 driver sends it as the signed payload hash of a single PUT
   * instead of hashing the body again, and the server refuses a body that does
   * not match it. Drivers may ignore it.
   */
  sha256?: string;
  /** Called as bytes are sent. Not every call is guaranteed; the last one is. */
  onProgress?: (progress: TransferProgress) => void;
  /** Aborting rejects with ABORTED and leaves no object (and no partial upload) under the key. */
  signal?: AbortSignal;
}

/** Which integrity check a driver performed on a write. */
export type ChecksumKind = 'sha256' | 'md5' | 'multipart-md5' | 'none';

export interface WriteResult {
  readonly key: string;
  /** Bytes written. */
  readonly size: number;
  readonly etag: string | undefined;
  /**
   * The integrity check the driver did before resolving: the backend's stored
   * checksum compared with one computed from the bytes sent. 'none' means only
   * the size was checked.
   */
  readonly checksum: ChecksumKind;
}

/** Inclusive byte range, as in HTTP. `end` past the object's end is clamped. */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface ReadOptions {
  range?: ByteRange;
  signal?: AbortSignal;
}

export interface ObjectStat {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly contentType: string | undefined;
  readonly cacheControl: string | undefined;
  readonly lastModified: Date;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One entry of a listing. */
export interface ListEntry {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date;
}

export interface ListOptions {
  /** Page size asked of the backend; listing pages transparently either way. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface DeleteManyResult {
  readonly deleted: readonly string[];
  readonly failed: ReadonlyArray<{ readonly key: string; readonly error: Error }>;
}

export interface CopyOptions {
  /** Refuse with PRECONDITION_FAILED when the destination exists. */
  ifNotExists?: boolean;
}

export interface PresignGetOptions {
  /** Seconds until the URL expires (at least 1); every driver caps it at MAX_PRESIGN_EXPIRES_IN (7 days). */
  expiresIn?: number;
  /** Sets Content-Disposition on the response, e.g. `attachment; filename="a.png"`. */
  contentDisposition?: string;
  /** Overrides Content-Type on the response. */
  contentType?: string;
}

export interface PresignPutOptions {
  expiresIn?: number;
  /** Signed into the URL: the upload must send exactly this Content-Type. */
  contentType: string;
  /** Signed into the URL: the upload must send exactly this many bytes. */
  contentLength: number;
}

/** A presigned upload: send `method` to `url` with exactly these headers and the body. */
export interface PresignedRequest {
  readonly url: string;
  readonly method: 'PUT' | 'GET';
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/**
 * The steps of a connection test, in order. 'public-url' runs only where a
 * public/CDN base URL is configured: the probe object is fetched through it.
 */
export type ProbeStep = 'configure' | 'connect' | 'write' | 'read' | 'compare' | 'public-url' | 'delete';

/**
 * What a passing probe still advises about:
 * - NO_INCOMPLETE_UPLOAD_RULE: no bucket lifecycle rule aborts incomplete
 *   multipart uploads, so uploads cut short by a crash are kept (and billed) forever;
 * - INCOMPLETE_UPLOAD_RULE_UNCHECKED: the lifecycle rules could not be read
 *   (e.g. an "Object Read & Write" token may not read bucket configuration).
 */
export type ProbeWarningCode = 'NO_INCOMPLETE_UPLOAD_RULE' | 'INCOMPLETE_UPLOAD_RULE_UNCHECKED';

/** Advice that does not fail the probe. */
export interface ProbeWarning {
  readonly code: ProbeWarningCode;
  /** What was found and what to do, in words an admin can act on. */
  readonly message: string;
}

export interface ProbeStepResult {
  readonly step: ProbeStep;
  readonly ok: boolean;
  readonly durationMs: number;
}

/** Result of `probe()`: never contains a secret. */
export interface ProbeReport {
  readonly ok: boolean;
  readonly driver: string;
  readonly steps: readonly ProbeStepResult[];
  /** The first step that failed. */
  readonly failedStep?: ProbeStep;
  /** Error code of the failure. */
  readonly code?: string;
  /** What went wrong and what to do, in words an admin can act on. */
  readonly message: string;
  /** Advice that did not fail the probe; present only when there is some. */
  readonly warnings?: readonly ProbeWarning[];
}

/** Which incomplete multipart uploads `sweepIncompleteUploads` aborts. */
export interface SweepIncompleteUploadsOptions {
  /**
   * Only uploads started more than this many milliseconds ago; default 24 h, so
   * uploads still in progress are left alone. 0 aborts every incomplete upload.
   */
  olderThanMs?: number;
  /** Only the uploads of this one key (the caller's key, without the driver's prefix). */
  key?: string;
  /** Page size asked of the backend; listing pages transparently either way. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** What a sweep did. A failed listing rejects instead; a failed abort is reported here. */
export interface SweepIncompleteUploadsResult {
  /** Uploads aborted. */
  readonly aborted: number;
  /** Uploads that were due but could not be aborted, by caller's key and upload id. */
  readonly failed: ReadonlyArray<{ readonly key: string; readonly uploadId: string; readonly error: Error }>;
}

/**
 * What a driver can do beyond the always-present operations; lets the
 * conformance suite and offload adapt without guessing.
 */
export interface DriverCapabilities {
  /** `publicUrl()` works (a public/CDN base is configured). */
  readonly publicUrls: boolean;
  /** Presigned GET/PUT URLs are supported. */
  readonly presignedUrls: boolean;
  /**
   * The backend keeps incomplete multipart uploads (S3 and compatibles), so
   * `sweepIncompleteUploads` does real work; false means it never has any to abort.
   * A rejected `write()` of such a driver carries `details.uploadLeftOpen: true`
   * when it may have left an upload open at the key (aborting it kept failing):
   * offload then leaves the key to recovery, which aborts it.
   */
  readonly incompleteUploads: boolean;
  /**
   * A rejected `write()` carries `details.uncertain: true` whenever the object
   * may have been stored anyway (a storing request went out and its answer was
   * lost), so a rejection without it proves that write stored nothing. Offload
   * then skips checking the key and schedules the result for the worker at
   * once. Absent or false: a failed write proves nothing (offload checks the key).
   */
  readonly marksUncertainWrites?: boolean;
}

/** The contract every storage backend implements. */
export interface StorageDriver {
  /** The driver kind, e.g. "local", "s3", "r2". */
  readonly kind: string;
  readonly capabilities: DriverCapabilities;

  /** Writes an object, replacing any existing one unless `ifNotExists`. */
  write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult>;
  /** Opens the object (or a byte range of it) as a stream. NOT_FOUND when missing. */
  read(key: string, options?: ReadOptions): Promise<Readable>;
  /** Size, etag, content type, last modified and metadata. NOT_FOUND when missing. */
  stat(key: string): Promise<ObjectStat>;
  /** True when the object exists; throws (e.g. ACCESS_DENIED) rather than guessing. */
  exists(key: string): Promise<boolean>;
  /** Deletes the object; succeeds when it is already missing. */
  delete(key: string): Promise<void>;
  /** Deletes many objects in batches; reports per-key failures instead of throwing. */
  deleteMany(keys: readonly string[]): Promise<DeleteManyResult>;
  /** Every object whose key starts with `prefix` (plain string prefix), paging transparently. */
  list(prefix?: string, options?: ListOptions): AsyncIterable<ListEntry>;
  /** Copies inside this backend. NOT_FOUND when the source is missing. */
  copy(from: string, to: string, options?: CopyOptions): Promise<void>;
  /** Moves inside this backend: the destination exists before the source is removed. */
  move(from: string, to: string, options?: CopyOptions): Promise<void>;
  /** The public (CDN) URL of the key. UNSUPPORTED when no public base is configured. */
  publicUrl(key: string): string;
  /** A time-limited download URL that plain `fetch` can GET. */
  presignGet(key: string, options?: PresignGetOptions): Promise<PresignedRequest>;
  /** A time-limited upload URL with content type and exact length signed in. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;
  /** "Test connection": write, read back, compare and delete a tiny probe object. */
  probe(): Promise<ProbeReport>;
  /**
   * Aborts the incomplete multipart uploads under the driver's key prefix that
   * were started more than `olderThanMs` ago (default 24 h): what a crashed or
   * killed process left behind. INVALID_INPUT for bad options, before any I/O.
   */
  sweepIncompleteUploads(options?: SweepIncompleteUploadsOptions): Promise<SweepIncompleteUploadsResult>;
  /** Releases sockets and handles. The driver is unusable afterwards. */
  close(): Promise<void>;
}
