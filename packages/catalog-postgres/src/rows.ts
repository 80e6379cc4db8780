/**
 * Rows of the Postgres catalog and the records they hold. JSONB columns carry
 * the structured fields (metadata, intent, file identity); everything a query
 * filters or orders on is a column of its own. A record is always read with
 * its files in one statement (`recordSelect`), so it is one consistent
 * snapshot even while other servers write.
 */
import {
  FILE_COLUMNS,
  type FileColumns,
  fileColumnValues,
  KEPT_COLUMNS,
  type KeptColumns,
  keptColumnValues,
  RESULT_COLUMNS,
  type ResultColumns,
  type ResultQuery,
  type ResultRecord,
  recordFromColumns,
} from '@stowage/storage-core';
import pg from 'pg';

/**
 * A row of `results` with its files (`recordSelect`): JSONB arrives decoded,
 * int8 columns as numbers (see CATALOG_TYPES), the files as JSON objects in
 * position order (null when a record has none).
 */
export type RecordRow = ResultColumns & { files: FileColumns[] | null; kept: KeptColumns[] | null };

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
  readonly kept: string;
  readonly removalClaims: string;
}

/** The catalog's tables in the quoted schema `schema`. */
export function tablesIn(schema: string): Tables {
  return {
    results: `${schema}.results`,
    files: `${schema}.result_files`,
    locations: `${schema}.locations`,
    jobs: `${schema}.jobs`,
    kept: `${schema}.kept_copies`,
    removalClaims: `${schema}.removal_claims`,
  };
}

/** `SELECT` of whole records (row `r` plus its files as JSON); append FROM-less clauses (WHERE ...). */
export function recordSelect(tables: Tables): string {
  return `SELECT r.*, (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.position) FROM ${tables.files} f WHERE f.result_id = r.id) AS files,
    (SELECT jsonb_agg(to_jsonb(k) ORDER BY k.target_id, k.position) FROM ${tables.kept} k WHERE k.result_id = r.id) AS kept
    FROM ${tables.results} r`;
}

/** Builds the record from its row. */
export function recordFromRow(row: RecordRow): ResultRecord {
  return recordFromColumns(row, row.files ?? [], row.kept ?? []);
}

/** The SQL casts of RESULT_COLUMNS' parameters (JSONB columns are sent as JSON text). */
const RESULT_CASTS: Readonly<Partial<Record<(typeof RESULT_COLUMNS)[number], string>>> = {
  metadata: '::jsonb',
  intent: '::jsonb',
};

/** `$n` placeholders for RESULT_COLUMNS from `$first`, with their casts. */
export function resultPlaceholders(first: number): string[] {
  return RESULT_COLUMNS.map((column, index) => `$${first + index}${RESULT_CASTS[column] ?? ''}`);
}

/**
 * One INSERT of every file of `record` (one array parameter per column,
 * unnested), so a result with many variants still costs one round trip.
 */
export function insertFilesQuery(tables: Tables, record: ResultRecord): { text: string; values: unknown[] } {
  const rows = fileColumnValues(record);
  const column = (index: number) => rows.map((row) => row[index] ?? null);
  return {
    text: `INSERT INTO ${tables.files} (${FILE_COLUMNS.join(', ')})
      SELECT * FROM unnest(${FILE_COLUMNS.map((name, i) => `$${i + 1}::${FILE_TYPES[name]}[]`).join(', ')})`,
    values: FILE_COLUMNS.map((_, index) => column(index)),
  };
}

/** One INSERT of every key of every kept copy of `record` (unnested arrays, as `insertFilesQuery`). */
export function insertKeptQuery(tables: Tables, record: ResultRecord): { text: string; values: unknown[] } {
  const rows = keptColumnValues(record);
  return {
    text: `INSERT INTO ${tables.kept} (${KEPT_COLUMNS.join(', ')})
      SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[])`,
    values: KEPT_COLUMNS.map((_, index) => rows.map((row) => row[index])),
  };
}

/** The SQL type of each of FILE_COLUMNS, for the arrays unnest takes apart. */
const FILE_TYPES: Readonly<Record<(typeof FILE_COLUMNS)[number], string>> = {
  result_id: 'text',
  position: 'int4',
  name: 'text',
  path: 'text',
  target_id: 'text',
  key: 'text',
  live: 'bool',
  size: 'int8',
  sha256: 'text',
  content_type: 'text',
  identity: 'jsonb',
};

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
