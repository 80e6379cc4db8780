/**
 * The one place Postgres and connection errors become StorageErrors with
 * stable codes. Messages are built from our own words, the server's error
 * message and where the server is (host, port, database): never the
 * connection string, and any password the catalog was given is scrubbed from
 * whatever the server or the driver said. SQLSTATE codes:
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { ErrorCode, StorageError } from '@stowage/storage-core';

/** What an error message may say about the server, and the secrets it must never say. */
export interface ServerDescription {
  /** e.g. `127.0.0.1:5432/media`. */
  readonly where: string;
  /** The password (raw and URL-encoded) and the whole connection string. */
  readonly secrets: readonly string[];
}

/** A Postgres error as `pg` reports it (a DatabaseError), or a network error from node:net. */
interface PgLikeError {
  readonly message?: string;
  /** A SQLSTATE from the server, or an errno code such as ECONNREFUSED. */
  readonly code?: string;
  readonly constraint?: string;
  readonly errors?: readonly PgLikeError[];
}

/** SQLSTATEs that mean "try again": unique violation from a concurrent commit, deadlock, serialization failure. */
export const RETRY_SQLSTATES: ReadonlySet<string> = new Set(['23505', '40P01', '40001']);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/** The SQLSTATE or errno code of `error`, looking inside an AggregateError (several addresses tried). */
export function errorCodeOf(error: unknown): string | undefined {
  const value = error as PgLikeError | undefined;
  return value?.code ?? value?.errors?.find((inner) => inner.code)?.code;
}

/** Replaces every secret in `text` with `***`. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/** `error` as a StorageError naming the server; StorageErrors pass through unchanged. */
export function toStorageError(error: unknown, server: ServerDescription): StorageError {
  if (error instanceof StorageError) return error;
  const code = errorCodeOf(error);
  const said = redact((error as PgLikeError | undefined)?.message ?? String(error), server.secrets);
  const at = `postgres catalog at ${server.where}`;
  const make = (errorCode: ErrorCode, message: string) =>
    // The driver's own error stays reachable as `cause` only when nothing in it can carry a secret.
    new StorageError(errorCode, redact(message, server.secrets), carriesSecret(error, server) ? {} : { cause: error });
  if (code === '28P01' || code === '28000') {
    return make(ErrorCode.InvalidCredentials, `${at}: the server refused the user name or password (${said})`);
  }
  if (code === '3D000') return make(ErrorCode.Misconfigured, `${at}: ${said}`);
  if (code === '42501') return make(ErrorCode.AccessDenied, `${at}: permission denied (${said})`);
  if (code === '57014') return make(ErrorCode.Timeout, `${at}: the statement was cancelled (${said})`);
  if (code === '22P05' || code === '22021') {
    return make(ErrorCode.InvalidInput, `${at}: a text value cannot be stored (NUL character or invalid UTF-8)`);
  }
  // Only when retries ran out: the catalog's own checks normally word a refusal first.
  if (code === '23505') return make(ErrorCode.PreconditionFailed, `${at}: ${said}`);
  const network =
    code === undefined
      ? /timeout|terminated|Connection ended|not queryable/i.test(said)
      : NETWORK_CODES.has(code) || /^(08|53|57P)/.test(code);
  if (network) {
    const timedOut = /timeout/i.test(said) || code === 'ETIMEDOUT';
    return make(
      timedOut ? ErrorCode.Timeout : ErrorCode.Unavailable,
      `${at}: cannot reach the server (${code ?? said})`,
    );
  }
  return make(ErrorCode.Unknown, `${at}: ${said}`);
}

/** True when the message or any property of `error` holds a secret, so it must not travel along as `cause`. */
function carriesSecret(error: unknown, server: ServerDescription): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const seen = [(error as Error).message ?? '', ...Object.values(error).map((value) => String(value))].join('\n');
  return server.secrets.some((secret) => secret.length > 0 && seen.includes(secret));
}
