/**
 * One small error hierarchy for every driver. Callers branch on `code`, which is
 * stable across releases; `cause` keeps the provider's original error. Messages
 * never contain secrets: drivers build them from keys, bucket names and HTTP
 * statuses only.
 */

/** Stable error codes. Adding one is a minor change; renaming one is breaking. */
export const ErrorCode = {
  /** The object does not exist. */
  NotFound: 'NOT_FOUND',
  /** The credentials are valid but not allowed to do this. */
  AccessDenied: 'ACCESS_DENIED',
  /** The access key is unknown or the secret is wrong. */
  InvalidCredentials: 'INVALID_CREDENTIALS',
  /** The bucket (or root directory) does not exist. */
  BucketNotFound: 'BUCKET_NOT_FOUND',
  /** The key breaks the key rules (see `validateKey`). */
  InvalidKey: 'INVALID_KEY',
  /** A caller-supplied argument other than a key is wrong. */
  InvalidInput: 'INVALID_INPUT',
  /** An "only if absent" (or other conditional) write was refused. */
  PreconditionFailed: 'PRECONDITION_FAILED',
  /** The requested byte range starts past the end of the object. */
  RangeNotSatisfiable: 'RANGE_NOT_SATISFIABLE',
  /** The stored bytes do not match what was sent (size or checksum). */
  ChecksumMismatch: 'CHECKSUM_MISMATCH',
  /** The backend is down, throttling or the network failed; retrying may help. */
  Unavailable: 'UNAVAILABLE',
  /** The operation took longer than its configured timeout. */
  Timeout: 'TIMEOUT',
  /**
   * The TLS handshake failed (certificate, protocol). `details.plainHttp` is
   * true when the server answered in plain HTTP: an https:// URL on an http port.
   */
  Tls: 'TLS',
  /**
   * The endpoint answered HTTP, but not as the API the driver speaks (e.g. an
   * HTML page or a bare 200 where S3 answers with its XML or an ETag): a wrong
   * endpoint URL such as a website, dashboard or public/CDN URL.
   */
  NotS3Api: 'NOT_S3_API',
  /** The server rejected the request time: the machine clock is off. */
  ClockSkew: 'CLOCK_SKEW',
  /** The caller aborted the operation through its AbortSignal. */
  Aborted: 'ABORTED',
  /** Settings are missing, incomplete or contradictory. */
  Misconfigured: 'MISCONFIGURED',
  /** The backend does not offer this operation (e.g. public URLs without a public base). */
  Unsupported: 'UNSUPPORTED',
  /**
   * A source file changed while it was being written from: it was replaced,
   * truncated, appended to or removed between the moment its identity was taken
   * (or it was opened) and the last byte read. Not retryable as is: the bytes
   * that were meant no longer exist; take the file's new identity and start over.
   */
  ChangedDuringOffload: 'CHANGED_DURING_OFFLOAD',
  /** Anything the driver could not classify. */
  Unknown: 'UNKNOWN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes whose operations may succeed when repeated unchanged. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.Unavailable, ErrorCode.Timeout]);

export interface StorageErrorOptions {
  cause?: unknown;
  /** The key the operation was about, as the caller sees it (without driver prefix). */
  key?: string;
  /** HTTP status or errno where the backend gave one. */
  status?: number;
  /** Extra structured facts (never secrets). */
  details?: Record<string, unknown>;
}

/** Base class of every error Stowage throws. */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  readonly code: ErrorCode;
  readonly key: string | undefined;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options.key;
    this.status = options.status;
    this.details = options.details;
  }

  /** True when repeating the same operation unchanged may succeed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** The object is missing. */
export class NotFoundError extends StorageError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options?: StorageErrorOptions) {
    super(ErrorCode.NotFound, message, options);
  }
}

/** The key breaks the key rules; thrown before any I/O. */
export class InvalidKeyError extends StorageError {
  override readonly name = 'InvalidKeyError';
  constructor(message: string, options?: StorageErrorOptions) {
    super(ErrorCode.InvalidKey, message, options);
  }
}

/** Settings are invalid; `problems` lists every one of them. */
export class ConfigError extends StorageError {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[], options?: StorageErrorOptions) {
    super(ErrorCode.Misconfigured, `${subject}: ${problems.join('; ')}`, options);
    this.problems = problems;
  }
}

/** True when `error` is a StorageError, optionally with the given code. */
export function isStorageError(error: unknown, code?: ErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** Returns `error` when it is a StorageError, else wraps it as UNKNOWN with the original as `cause`. */
export function asStorageError(error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  return new StorageError(ErrorCode.Unknown, (error as Error)?.message ?? String(error), { cause: error, key });
}

/** Turns an AbortSignal's reason into the ABORTED error. */
export function abortedError(signal: AbortSignal, key?: string): StorageError {
  return new StorageError(ErrorCode.Aborted, `operation aborted${key ? ` for key "${key}"` : ''}`, {
    cause: signal.reason,
    key,
  });
}
