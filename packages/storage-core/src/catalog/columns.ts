/**
 * The columns every SQL catalog keeps (results, result_files, jobs) and how a
 * record or a job maps to them and back, written once so the SQLite and
 * Postgres catalogs store the same fields the same way. Structured fields
 * (metadata, intent, file identity, job params and progress) travel as JSON
 * text on the way in, and come back decoded (each implementation parses its
 * own JSON or JSONB); flags are booleans, which SQLite stores as 0 and 1.
 */
import type {
  CatalogJob,
  JobKind,
  JobState,
  KeptCopy,
  RecordedError,
  RecordedFileIdentity,
  ResultFile,
  ResultIntent,
  ResultRecord,
  ResultState,
} from './types.js';

/** A value bound to a column. */
export type ColumnValue = string | number | boolean | null;

/** The columns of `results`, in the order `resultColumnValues` produces. */
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

/** The columns of `result_files`, in the order `fileColumnValues` produces. */
export const FILE_COLUMNS = [
  'result_id',
  'position',
  'name',
  'path',
  'target_id',
  'key',
  'live',
  'size',
  'sha256',
  'content_type',
  'identity',
] as const;

/** The columns of `kept_copies` (one row per key of a kept copy), in the order `keptColumnValues` produces. */
export const KEPT_COLUMNS = ['result_id', 'target_id', 'position', 'key'] as const;

/** The columns of `jobs` after `id`, in the order `jobColumnValues` produces. */
export const JOB_COLUMNS = [
  'kind',
  'state',
  'params',
  'progress',
  'owner',
  'lease_until',
  'last_error_code',
  'last_error_message',
  'last_error_at',
  'version',
  'created_at',
  'updated_at',
] as const;

/** A row of `results`, its JSON columns decoded. */
export interface ResultColumns {
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
}

/** What a record needs of a row of `result_files`, its identity decoded. */
export interface FileColumns {
  name: string;
  path: string;
  key: string;
  size: number;
  sha256: string | null;
  content_type: string | null;
  identity: RecordedFileIdentity | null;
}

/** What a record needs of a row of `kept_copies`. */
export interface KeptColumns {
  target_id: string;
  position: number;
  key: string;
}

/** A row of `jobs`, its JSON columns decoded. */
export interface JobColumns {
  id: string;
  kind: string;
  state: string;
  params: Record<string, unknown>;
  progress: Record<string, unknown>;
  owner: string | null;
  lease_until: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** The column values of `record`, in the order of RESULT_COLUMNS. */
export function resultColumnValues(record: ResultRecord): ColumnValue[] {
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

/** The column values of each file of `record` (one row a file, in FILE_COLUMNS order); a deleted record's files are not live. */
export function fileColumnValues(record: ResultRecord): ColumnValue[][] {
  const live = record.state !== 'deleted';
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

/** The column values of each key of each kept copy of `record` (one row a key, in KEPT_COLUMNS order). */
export function keptColumnValues(record: ResultRecord): ColumnValue[][] {
  return record.keptCopies.flatMap((copy) =>
    copy.keys.map((key, position) => [record.id, copy.targetId, position, key]),
  );
}

/** Whether two versions of a record keep the same copies; an update that keeps them need not rewrite their rows. */
export function sameKeptCopies(current: ResultRecord, next: ResultRecord): boolean {
  if (current.keptCopies === next.keptCopies) return true;
  const before = keptColumnValues(current);
  const after = keptColumnValues(next);
  return (
    before.length === after.length &&
    before.every((row, index) => row.every((value, column) => value === after[index]?.[column]))
  );
}

/** Whether two versions of a record store the same file rows; an update that keeps them need not rewrite them. */
export function sameFileColumns(current: ResultRecord, next: ResultRecord): boolean {
  const before = fileColumnValues(current);
  const after = fileColumnValues(next);
  return (
    before.length === after.length &&
    before.every((row, index) => row.every((value, column) => value === after[index]?.[column]))
  );
}

/** The column values of `job` after its id, in the order of JOB_COLUMNS. */
export function jobColumnValues(job: CatalogJob): ColumnValue[] {
  return [
    job.kind,
    job.state,
    JSON.stringify(job.params),
    JSON.stringify(job.progress),
    job.owner ?? null,
    job.leaseUntil ?? null,
    job.lastError?.code ?? null,
    job.lastError?.message ?? null,
    job.lastError?.at ?? null,
    job.version,
    job.createdAt,
    job.updatedAt,
  ];
}

/**
 * Builds the record from its row, its file rows (in position order) and its
 * kept-copy rows (by target id, then position).
 */
export function recordFromColumns(
  row: ResultColumns,
  files: readonly FileColumns[],
  kept: readonly KeptColumns[] = [],
): ResultRecord {
  return {
    id: row.id,
    path: row.path,
    state: row.state as ResultState,
    targetId: row.target_id,
    key: row.key,
    location: row.location,
    files: files.map(fileFromColumns),
    metadata: row.metadata,
    localCopy: row.local_copy,
    keptCopies: keptFromColumns(kept),
    attempts: row.attempts,
    lastError: errorFromColumns(row),
    dueAt: row.due_at ?? undefined,
    intent: row.intent ?? undefined,
    migrationId: row.migration_id ?? undefined,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Builds the job from its row. */
export function jobFromColumns(row: JobColumns): CatalogJob {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    state: row.state as JobState,
    params: row.params,
    progress: row.progress,
    owner: row.owner ?? undefined,
    leaseUntil: row.lease_until ?? undefined,
    lastError: errorFromColumns(row),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function keptFromColumns(rows: readonly KeptColumns[]): KeptCopy[] {
  const copies: { targetId: string; keys: string[] }[] = [];
  for (const row of rows) {
    let copy = copies.at(-1);
    if (copy?.targetId !== row.target_id) {
      copy = { targetId: row.target_id, keys: [] };
      copies.push(copy);
    }
    copy.keys.push(row.key);
  }
  return copies;
}

function fileFromColumns(row: FileColumns): ResultFile {
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

function errorFromColumns(row: {
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
}): RecordedError | undefined {
  return row.last_error_code === null
    ? undefined
    : { code: row.last_error_code, message: row.last_error_message ?? '', at: row.last_error_at ?? 0 };
}
