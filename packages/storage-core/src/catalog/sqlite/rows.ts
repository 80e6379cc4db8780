/**
 * Rows of the SQLite catalog and the records they hold. JSON columns carry the
 * structured fields (metadata, intent, file identity); everything a query
 * filters or orders on is a column of its own.
 */
import type { SQLInputValue } from 'node:sqlite';
import type { RecordedError, ResultFile, ResultIntent, ResultQuery, ResultRecord, ResultState } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** A row of `results`. */
export interface ResultRow {
  id: string;
  path: string;
  state: string;
  target_id: string;
  key: string;
  location: string;
  metadata: string;
  local_copy: number;
  attempts: number;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  due_at: number | null;
  intent: string | null;
  lease_until: number | null;
  migration_id: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A row of `result_files`. */
export interface FileRow {
  result_id: string;
  position: number;
  name: string;
  path: string;
  target_id: string;
  key: string;
  live: number;
  size: number;
  sha256: string | null;
  content_type: string | null;
  identity: string | null;
}

/** Builds the record from its row and its file rows (in position order). */
export function recordFromRows(row: ResultRow, files: readonly FileRow[]): ResultRecord {
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
    files: files.map(fileFromRow),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    localCopy: row.local_copy === 1,
    attempts: row.attempts,
    lastError,
    dueAt: row.due_at ?? undefined,
    intent: row.intent === null ? undefined : (JSON.parse(row.intent) as ResultIntent),
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
    ...(row.identity === null ? {} : { identity: JSON.parse(row.identity) }),
  };
}

/** The column values of `record`, in the order of `RESULT_COLUMNS`. */
export function resultValues(record: ResultRecord): SQLInputValue[] {
  return [
    record.id,
    record.path,
    record.state,
    record.targetId,
    record.key,
    record.location,
    JSON.stringify(record.metadata),
    record.localCopy ? 1 : 0,
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

/** The column values of each file of `record`. */
export function fileValues(record: ResultRecord): SQLInputValue[][] {
  const live = record.state === 'deleted' ? 0 : 1;
  return record.files.map((file, position) => [
    record.id,
    position,
    file.name,
    file.path,
    record.targetId,
    file.key,
    live,
    file.size,
    file.sha256 ?? null,
    file.contentType ?? null,
    file.identity === undefined ? null : JSON.stringify(file.identity),
  ]);
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
  return recordFromRows(row, files);
}
