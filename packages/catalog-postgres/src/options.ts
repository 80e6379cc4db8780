/**
 * The options of `openPostgresCatalog`, checked all at once before any
 * connection is made, and the pool the catalog runs on.
 */
import { ErrorCode, StorageError } from '@stowage/storage-core';
import pg from 'pg';
import type { ServerDescription } from './pg-errors.js';

/** Options of `openPostgresCatalog`: exactly one of `connectionString` and `pool`. */
export interface PostgresCatalogOptions {
  /**
   * e.g. `postgresql://stowage:password@db.internal:5432/media?sslmode=verify-full`. The catalog
   * makes its own pool from it and ends that pool in `close()`.
   */
  readonly connectionString?: string;
  /**
   * A `pg.Pool` of the app's (for TLS, IAM tokens or any other `pg` setting). The catalog
   * borrows clients from it and leaves it open in `close()`; handle its 'error' event yourself.
   */
  readonly pool?: pg.Pool;
  /** The schema holding the catalog's tables, created on first open. Default `stowage`. */
  readonly schema?: string;
  /** Most connections of the catalog's own pool. Default 10. */
  readonly maxConnections?: number;
  /** How long to wait for a connection, in milliseconds. Default 10,000. */
  readonly connectTimeoutMs?: number;
}

/** The options after checks and defaults. */
export interface ResolvedPostgresCatalogOptions {
  readonly pool: pg.Pool;
  /** True when the catalog made the pool, and so ends it. */
  readonly ownsPool: boolean;
  readonly schema: string;
  readonly server: ServerDescription;
}

/** The schema the catalog uses unless told otherwise. */
export const DEFAULT_SCHEMA = 'stowage';

/** What a schema name may be: an unquoted lower-case identifier, so it reads the same in psql. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Every problem with `options`, naming fields and never echoing values (a connection string holds a password). */
export function postgresCatalogOptionProblems(options: PostgresCatalogOptions): string[] {
  if (typeof options !== 'object' || options === null) return ['options: must be an object'];
  const problems: string[] = [];
  const { connectionString, pool, schema, maxConnections, connectTimeoutMs } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    problems.push('connectionString or pool: give exactly one');
  }
  if (connectionString !== undefined && parseConnectionString(connectionString) === undefined) {
    problems.push(
      'connectionString: must be a postgres:// or postgresql:// URL, e.g. postgresql://user:password@host:5432/database',
    );
  }
  if (pool !== undefined && typeof (pool as Partial<pg.Pool> | null)?.connect !== 'function') {
    problems.push('pool: must be a pg.Pool');
  }
  if (schema !== undefined && !(typeof schema === 'string' && SCHEMA_NAME.test(schema) && !schema.startsWith('pg_'))) {
    problems.push('schema: must be lower-case letters, digits and _, at most 63, not starting with a digit or "pg_"');
  }
  if (maxConnections !== undefined && !(Number.isSafeInteger(maxConnections) && maxConnections >= 1)) {
    problems.push('maxConnections: must be a whole number of at least 1');
  }
  if (connectTimeoutMs !== undefined && !(Number.isSafeInteger(connectTimeoutMs) && connectTimeoutMs >= 1)) {
    problems.push('connectTimeoutMs: must be a whole number of milliseconds, at least 1');
  }
  return problems;
}

/** Checks `options` (one INVALID_INPUT naming every problem) and makes or borrows the pool. No I/O. */
export function resolvePostgresCatalogOptions(options: PostgresCatalogOptions): ResolvedPostgresCatalogOptions {
  const problems = postgresCatalogOptionProblems(options);
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `postgres catalog options: ${problems.join('; ')}`);
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (options.pool) return { pool: options.pool, ownsPool: false, schema, server: describePool(options.pool) };
  const connectionString = options.connectionString as string;
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'stowage-catalog',
  });
  // An idle connection the server drops (restart, failover) is an 'error' event on the pool, which
  // would end the process if nobody listened; the pool discards that client and connects afresh.
  pool.on('error', () => {});
  return { pool, ownsPool: true, schema, server: describeConnectionString(connectionString) };
}

function parseConnectionString(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Where the server is, for messages, and the secrets of this connection string. */
function describeConnectionString(connectionString: string): ServerDescription {
  const url = parseConnectionString(connectionString) as URL;
  const host = url.searchParams.get('host') ?? (url.hostname || 'localhost');
  const where = `${decodeSafely(host)}:${url.port || url.searchParams.get('port') || '5432'}${url.pathname || '/'}`;
  return {
    where,
    secrets: secretsOf(url.password, decodeSafely(url.password), url.searchParams.get('password'), connectionString),
  };
}

/** Where a borrowed pool's server is, from its options where they say. */
function describePool(pool: pg.Pool): ServerDescription {
  const options = (pool as { options?: pg.PoolConfig }).options ?? {};
  if (typeof options.connectionString === 'string' && parseConnectionString(options.connectionString)) {
    const described = describeConnectionString(options.connectionString);
    const password = typeof options.password === 'string' ? options.password : undefined;
    return { where: described.where, secrets: [...described.secrets, ...secretsOf(password)] };
  }
  const where = `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
  return { where, secrets: secretsOf(typeof options.password === 'string' ? options.password : undefined) };
}

function secretsOf(...values: (string | null | undefined)[]): string[] {
  const secrets = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    secrets.add(value);
    secrets.add(encodeURIComponent(value));
  }
  return [...secrets];
}

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
