/**
 * The one place where AWS SDK and network errors become StorageErrors. Status
 * comes first because HEAD responses have no body (the SDK then names them
 * "NotFound", "403" or "UnknownError"); the S3 error name refines it. The SDK
 * error always stays as `cause`; messages name the operation, bucket, key and
 * status, never credentials.
 */
import { ErrorCode, redactSecrets, StorageError } from '@stowage/storage-core';

export interface ErrorContext {
  /** What was being done, e.g. "read", "write", "list". */
  readonly operation: string;
  readonly bucket: string;
  /** The caller's key (without the driver's prefix). */
  readonly key?: string;
  /** Strings that must never appear in a message (secrets), in any case or URL-encoding; replaced by "[redacted]". */
  readonly secrets?: readonly string[];
}

interface SdkLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

const NETWORK_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

const TLS_CODES = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Every error in the chain: the error, its causes, and AggregateError members. */
function chain(error: unknown): SdkLikeError[] {
  const seen = new Set<unknown>();
  const out: SdkLikeError[] = [];
  const visit = (value: unknown) => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    out.push(value as SdkLikeError);
    const e = value as SdkLikeError;
    visit(e.cause);
    if (Array.isArray(e.errors)) for (const member of e.errors) visit(member);
  };
  visit(error);
  return out;
}

function httpStatus(error: SdkLikeError): number | undefined {
  const status = error.$metadata?.httpStatusCode ?? error.$response?.statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/**
 * An https:// URL pointed at a plain-HTTP port: the server's "HTTP/1.1 400"
 * reaches OpenSSL as a TLS record and fails as a wrong version number or an
 * oversized packet, which is a scheme or port mistake, not a certificate problem.
 */
const PLAIN_HTTP_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
]);

function plainHttpAnswer(errors: SdkLikeError[]): boolean {
  return errors.some(
    (e) => PLAIN_HTTP_CODES.has(e.code ?? '') || /wrong version number|packet length too long/i.test(e.message ?? ''),
  );
}

/** The error a driver middleware raises for an answer that is not S3's (see not-s3.ts). */
export const NOT_S3_ANSWER = 'StowageNotS3Answer';

/** Failures to reach the server at all: the request never left this machine. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when a request failed in a way that leaves its outcome unknown: no HTTP
 * answer came back, yet the connection was made, so the server may have acted
 * on it (a reset or timeout after sending, an abort while it was in flight).
 * False when the server answered (it said what happened) or was never reached
 * (refused, unresolvable, TLS handshake failed, connect timeout).
 */
export function outcomeUnknown(error: unknown): boolean {
  const errors = chain(error);
  if (errors.some((e) => httpStatus(e) !== undefined)) return false;
  if (errors.some((e) => NOT_CONNECTED.has(e.code ?? ''))) return false;
  // The HTTP handler's connect timeout (its message is the only mark it has).
  if (errors.some((e) => /(did not establish|without establishing) a connection/i.test(e.message ?? ''))) return false;
  return classifyNetwork(errors) !== ErrorCode.Tls;
}

function classifyNetwork(errors: SdkLikeError[]): ErrorCode | undefined {
  for (const e of errors) {
    const code = e.code ?? '';
    if (e.name === 'AbortError') return ErrorCode.Aborted;
    if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return ErrorCode.Tls;
    if (/SSL routines|wrong version number|self[- ]signed certificate/i.test(e.message ?? '')) return ErrorCode.Tls;
  }
  // The errno decides before the name: the HTTP handler names ECONNRESET and EPIPE "TimeoutError" too.
  for (const e of errors) {
    if (NETWORK_UNAVAILABLE.has(e.code ?? '')) return ErrorCode.Unavailable;
    if (TIMEOUT_CODES.has(e.code ?? '')) return ErrorCode.Timeout;
  }
  if (errors.some((e) => e.name === 'TimeoutError')) return ErrorCode.Timeout;
  return undefined;
}

/** Classifies by HTTP status, then by the S3 error name. */
export function classifyS3Error(status: number | undefined, name: string): ErrorCode {
  if (name === 'RequestTimeTooSkewed' || name === 'ExpiredRequest') return ErrorCode.ClockSkew;
  switch (status) {
    case 404:
      return name === 'NoSuchBucket' ? ErrorCode.BucketNotFound : ErrorCode.NotFound;
    case 401:
      return ErrorCode.InvalidCredentials;
    case 403:
      if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') return ErrorCode.InvalidCredentials;
      return ErrorCode.AccessDenied;
    case 412:
      return ErrorCode.PreconditionFailed;
    case 416:
      return ErrorCode.RangeNotSatisfiable;
    case 408:
      return ErrorCode.Timeout;
    case 429:
      return ErrorCode.Unavailable;
    case 501:
      return ErrorCode.Unsupported;
  }
  if (name === 'SlowDown' || name === 'ServiceUnavailable' || name === 'InternalError') return ErrorCode.Unavailable;
  if (name === 'RequestTimeout') return ErrorCode.Timeout;
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') {
    return ErrorCode.ChecksumMismatch;
  }
  if (name === 'IncompleteBody') return ErrorCode.ChecksumMismatch;
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') return ErrorCode.InvalidCredentials;
  if (name === 'AuthorizationHeaderMalformed' || name === 'InvalidBucketName' || name === 'PermanentRedirect') {
    return ErrorCode.Misconfigured;
  }
  if (status !== undefined && status >= 500) return ErrorCode.Unavailable;
  return ErrorCode.Unknown;
}

const REASON: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.NotFound]: 'object not found',
  [ErrorCode.BucketNotFound]: 'bucket does not exist',
  [ErrorCode.AccessDenied]: 'access denied',
  [ErrorCode.InvalidCredentials]: 'credentials rejected',
  [ErrorCode.PreconditionFailed]: 'precondition failed (the object already exists or changed)',
  [ErrorCode.RangeNotSatisfiable]: 'range not satisfiable',
  [ErrorCode.ChecksumMismatch]: 'the server received different bytes than were sent',
  [ErrorCode.Unavailable]: 'service unavailable or unreachable',
  [ErrorCode.Timeout]: 'timed out',
  [ErrorCode.Tls]: 'TLS connection failed',
  [ErrorCode.ClockSkew]: 'request time rejected (clock skew)',
  [ErrorCode.Aborted]: 'aborted',
  [ErrorCode.Misconfigured]: 'rejected as misconfigured',
  [ErrorCode.Unsupported]: 'not implemented by this provider',
  [ErrorCode.NotS3Api]: 'the endpoint is not an S3 API',
};

/**
 * Maps any error thrown by the SDK, the HTTP layer or a body stream to a
 * StorageError with a stable code. StorageErrors pass through unchanged.
 */
export function toStorageError(error: unknown, context: ErrorContext): StorageError {
  if (error instanceof StorageError) return error;
  const errors = chain(error);
  const top = errors[0] ?? { message: String(error) };
  const status = errors.map(httpStatus).find((value) => value !== undefined);
  const notS3 = errors.some((e) => e.name === NOT_S3_ANSWER);
  const s3Name = notS3 ? '' : (top.Code ?? top.name ?? '');
  const code = notS3
    ? ErrorCode.NotS3Api
    : status !== undefined
      ? classifyS3Error(status, s3Name)
      : (classifyNetwork(errors) ?? classifyS3Error(status, s3Name));
  const plainHttp = code === ErrorCode.Tls && plainHttpAnswer(errors);
  const networkCode = errors.map((e) => e.code).find((value) => typeof value === 'string' && value !== s3Name);
  const target =
    context.key === undefined ? `bucket "${context.bucket}"` : `"${context.key}" in bucket "${context.bucket}"`;
  const facts = [status === undefined ? undefined : `HTTP ${status}`, s3Name || undefined, networkCode]
    .filter((fact, index, all) => fact !== undefined && all.indexOf(fact) === index)
    .join(' ');
  const detail = top.message && top.message !== s3Name ? `: ${top.message}` : '';
  const reason = plainHttp ? 'TLS connection failed: the endpoint speaks plain HTTP' : REASON[code];
  const message = redactSecrets(
    `${context.operation} ${target} failed: ${reason ?? 'unexpected error'}${facts ? ` (${facts})` : ''}${detail}`,
    context.secrets ?? [],
  );
  return new StorageError(code, message, {
    cause: error,
    key: context.key,
    status,
    details: {
      bucket: context.bucket,
      operation: context.operation,
      ...(s3Name ? { s3Code: s3Name } : {}),
      ...(plainHttp ? { plainHttp: true } : {}),
    },
  });
}
