/**
 * Rows of the SQLite catalog and the records they hold. JSON columns carry the
 * structured fields (metadata, intent, file identity); everything a query
 * filters or orders on is a column of its own.
 */
import type { SQLInputValue } from 'node:sqlite';
import {
  type ColumnValue,
  type FileColumns,
  fileColumnValues,
  type KeptColumns,
  type ResultColumns,
  recordFromColumns,
  resultColumnValues,
} from '../columns.js';
import type { ResultIntent, ResultQuery, ResultRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** A row of `results`: JSON columns as text, the flag as 0 or 1. */
export type ResultRow = Omit<ResultColumns, 'metadata' | 'local_copy' | 'intent'> & {
  metadata: string;
  local_copy: number;
  intent: string | null;
};

/** A row of `result_files`: the identity as JSON text, the flag as 0 or 1. */
export type FileRow = Omit<FileColumns, 'identity'> & {
  result_id: string;
  position: number;
  target_id: string;
  live: number;
  identity: string | null;
};

/** Builds the record from its row, its file rows (in position order) and kept-copy rows, decoding SQLite's JSON text and 0/1 flags. */
function recordFromRows(row: ResultRow, files: readonly FileRow[], kept: readonly KeptColumns[]): ResultRecord {
  return recordFromColumns(
    {
      ...row,
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      local_copy: row.local_copy === 1,
      intent: row.intent === null ? null : (JSON.parse(row.intent) as ResultIntent),
    },
    files.map((file) => ({ ...file, identity: file.identity === null ? null : JSON.parse(file.identity) })),
    kept,
  );
}

/** `value` as SQLite binds it: flags as 0 and 1. */
export function sqliteValue(value: ColumnValue): SQLInputValue {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** The column values of `record`, in the order of `RESULT_COLUMNS`. */
export function resultValues(record: ResultRecord): SQLInputValue[] {
  return resultColumnValues(record).map(sqliteValue);
}

/** The column values of each file of `record`, in the order of `FILE_COLUMNS`. */
export function fileValues(record: ResultRecord): SQLInputValue[][] {
  return fileColumnValues(record).map((values) => values.map(sqliteValue));
}

/** A WHERE clause (without the keyword) and its parameters for a query over `results` aliased `r`. */
export function whereClause(query: ResultQuery): { sql: string; params: SQLInputValue[] } {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  const anyOf = (column: string, value: string | readonly string[]) => {
    const values = typeof value === 'string' ? [value] : [...value];
    if (values.length === 0) {
      parts.push('0');
      return;
    }
    parts.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  if (query.state !== undefined) anyOf('r.state', query.state);
  if (query.targetId !== undefined) anyOf('r.target_id', query.targetId);
  if (query.pathPrefix !== undefined && query.pathPrefix !== '') {
    // substr comparison instead of LIKE: paths may contain % and _.
    parts.push('substr(r.path, 1, length(?)) = ?');
    params.push(query.pathPrefix, query.pathPrefix);
  }
  if (query.migrationId === null) parts.push('r.migration_id IS NULL');
  else if (query.migrationId !== undefined) {
    parts.push('r.migration_id = ?');
    params.push(query.migrationId);
  }
  if (query.hasIntent === true) parts.push('r.intent IS NOT NULL');
  if (query.hasIntent === false) parts.push('r.intent IS NULL');
  if (query.updatedBefore !== undefined) {
    parts.push('r.updated_at < ?');
    params.push(query.updatedBefore);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1', params };
}

/** The record of `row`, with its files read; undefined for no row. */
export function loadRecord(db: SqliteDatabase, row: ResultRow | undefined): ResultRecord | undefined {
  if (!row) return undefined;
  const files = db.all<FileRow>('SELECT * FROM result_files WHERE result_id = ? ORDER BY position', row.id);
  const kept = db.all<KeptColumns>(
    'SELECT target_id, position, key FROM kept_copies WHERE result_id = ? ORDER BY target_id, position',
    row.id,
  );
  return recordFromRows(row, files, kept);
}
