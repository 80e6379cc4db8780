/**
 * Rows of the Postgres catalog and the records they hold. JSONB columns carry
 * the structured fields (metadata, intent, file identity); everything a query
 * filters or orders on is a column of its own. A record is always read with
 * its files in one statement (`recordSelect`), so it is one consistent
 * snapshot even while other servers write.
 */
import type {
  RecordedError,
  RecordedFileIdentity,
  ResultFile,
  ResultIntent,
  ResultQuery,
  ResultRecord,
  ResultState,
} from '@stowage/storage-core';
import pg from 'pg';

/** A row of `results` with its files (`recordSelect`); int8 columns arrive as numbers (see CATALOG_TYPES). */
export interface RecordRow {
  id: string;
  path: string;
  state: string;
  target_id: string;
  key: string;
  location: string;
  metadata: Record<string, string>;
  local_copy: boolean;
  attempts: number;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  due_at: number | null;
  intent: ResultIntent | null;
  lease_until: number | null;
  migration_id: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  /** The file rows as JSON objects, in position order (null when a record has none). */
  files: FileRow[] | null;
}

/** A row of `result_files`, as `to_jsonb` renders it. */
interface FileRow {
  name: string;
  path: string;
  key: string;
  size: number;
  sha256: string | null;
  content_type: string | null;
  identity: RecordedFileIdentity | null;
}

/**
 * Type parsers for the catalog's queries: int8 (OID 20; counts, sizes, epoch
 * milliseconds) as a JavaScript number, everything else as `pg` parses it.
 * Passed with every query instead of set on `pg.types`, so an app's own
 * queries keep `pg`'s defaults (int8 as a string).
 */
export const CATALOG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The table names of the catalog in `schema` (already quoted). */
export interface Tables {
  readonly results: string;
  readonly files: string;
  readonly locations: string;
  readonly jobs: string;
}

/** The catalog's tables in the quoted schema `schema`. */
export function tablesIn(schema: string): Tables {
  return {
    results: `${schema}.results`,
    files: `${schema}.result_files`,
    locations: `${schema}.locations`,
    jobs: `${schema}.jobs`,
  };
}

/** `SELECT` of whole records (row `r` plus its files as JSON); append FROM-less clauses (WHERE ...). */
export function recordSelect(tables: Tables): string {
  return `SELECT r.*, (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.position) FROM ${tables.files} f WHERE f.result_id = r.id) AS files
    FROM ${tables.results} r`;
}

/** Builds the record from its row. */
export function recordFromRow(row: RecordRow): ResultRecord {
  const lastError: RecordedError | undefined =
    row.last_error_code === null
      ? undefined
      : { code: row.last_error_code, message: row.last_error_message ?? '', at: row.last_error_at ?? 0 };
  return {
    id: row.id,
    path: row.path,
    state: row.state as ResultState,
    targetId: row.target_id,
    key: row.key,
    location: row.location,
    files: (row.files ?? []).map(fileFromRow),
    metadata: row.metadata,
    localCopy: row.local_copy,
    attempts: row.attempts,
    lastError,
    dueAt: row.due_at ?? undefined,
    intent: row.intent ?? undefined,
    migrationId: row.migration_id ?? undefined,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fileFromRow(row: FileRow): ResultFile {
  return {
    name: row.name,
    path: row.path,
    key: row.key,
    size: row.size,
    sha256: row.sha256 ?? undefined,
    contentType: row.content_type ?? undefined,
    ...(row.identity === null ? {} : { identity: row.identity }),
  };
}

/** The columns of `results`, in the order `resultValues` produces. */
export const RESULT_COLUMNS = [
  'id',
  'path',
  'state',
  'target_id',
  'key',
  'location',
  'metadata',
  'local_copy',
  'attempts',
  'last_error_code',
  'last_error_message',
  'last_error_at',
  'due_at',
  'intent',
  'lease_until',
  'migration_id',
  'version',
  'created_at',
  'updated_at',
] as const;

/** The SQL casts of RESULT_COLUMNS' parameters (JSONB columns are sent as JSON text). */
const RESULT_CASTS: Readonly<Partial<Record<(typeof RESULT_COLUMNS)[number], string>>> = {
  metadata: '::jsonb',
  intent: '::jsonb',
};

/** `$n` placeholders for RESULT_COLUMNS from `$first`, with their casts. */
export function resultPlaceholders(first: number): string[] {
  return RESULT_COLUMNS.map((column, index) => `$${first + index}${RESULT_CASTS[column] ?? ''}`);
}

/** The column values of `record`, in the order of RESULT_COLUMNS. */
export function resultValues(record: ResultRecord): unknown[] {
  return [
    record.id,
    record.path,
    record.state,
    record.targetId,
    record.key,
    record.location,
    JSON.stringify(record.metadata),
    record.localCopy,
    record.attempts,
    record.lastError?.code ?? null,
    record.lastError?.message ?? null,
    record.lastError?.at ?? null,
    record.dueAt ?? null,
    record.intent === undefined ? null : JSON.stringify(record.intent),
    record.intent?.leaseUntil ?? null,
    record.migrationId ?? null,
    record.version,
    record.createdAt,
    record.updatedAt,
  ];
}

/**
 * One INSERT of every file of `record` (one array parameter per column,
 * unnested), so a result with many variants still costs one round trip.
 */
export function insertFilesQuery(tables: Tables, record: ResultRecord): { text: string; values: unknown[] } {
  const files = record.files;
  return {
    text: `INSERT INTO ${tables.files} (result_id, position, name, path, target_id, key, live, size, sha256, content_type, identity)
      SELECT $1, f.position, f.name, f.path, $2, f.key, $3, f.size, f.sha256, f.content_type, f.identity
      FROM unnest($4::int4[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::text[], $10::text[], $11::jsonb[])
        AS f (position, name, path, key, size, sha256, content_type, identity)`,
    values: [
      record.id,
      record.targetId,
      record.state !== 'deleted',
      files.map((_, position) => position),
      files.map((file) => file.name),
      files.map((file) => file.path),
      files.map((file) => file.key),
      files.map((file) => file.size),
      files.map((file) => file.sha256 ?? null),
      files.map((file) => file.contentType ?? null),
      files.map((file) => (file.identity === undefined ? null : JSON.stringify(file.identity))),
    ],
  };
}

/**
 * A WHERE clause (without the keyword) over `results` aliased `r`, its
 * parameters appended to `params` (so it composes with parameters before it).
 */
export function whereClause(query: ResultQuery, params: unknown[]): string {
  const parts: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const anyOf = (column: string, value: string | readonly string[]) => {
    const values = typeof value === 'string' ? [value] : [...value];
    parts.push(values.length === 0 ? 'false' : `${column} = ANY(${param(values)}::text[])`);
  };
  if (query.state !== undefined) anyOf('r.state', query.state);
  if (query.targetId !== undefined) anyOf('r.target_id', query.targetId);
  // starts_with, not LIKE: paths may contain % and _.
  if (query.pathPrefix !== undefined && query.pathPrefix !== '') {
    parts.push(`starts_with(r.path, ${param(query.pathPrefix)})`);
  }
  if (query.migrationId === null) parts.push('r.migration_id IS NULL');
  else if (query.migrationId !== undefined) parts.push(`r.migration_id = ${param(query.migrationId)}`);
  if (query.hasIntent === true) parts.push('r.intent IS NOT NULL');
  if (query.hasIntent === false) parts.push('r.intent IS NULL');
  if (query.updatedBefore !== undefined) parts.push(`r.updated_at < ${param(query.updatedBefore)}::int8`);
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}
