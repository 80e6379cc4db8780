/**
 * How the SQLite catalog writes a record's file rows and locations, and how it
 * names the uniqueness rule a refused write broke (conflicts.ts words them).
 */
import { FILE_COLUMNS } from '../columns.js';
import { keyTakenError, locationTakenError, pathTakenError } from '../conflicts.js';
import type { ResultRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { fileValues } from './rows.js';

/** SQLite's extended result code for a row a UNIQUE index refuses. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * The error to throw for `error`, raised while writing `record`: a unique
 * index refused it (one live record per path, one live file per key in a
 * target), so the rule it broke is named the way every catalog names it.
 * The indexes do the checking: looking first would cost a query per rule on
 * every write, and this one only runs when a write is refused.
 */
export function conflictBehind(db: SqliteDatabase, error: unknown, record: ResultRecord): unknown {
  if ((error as { errcode?: number }).errcode !== SQLITE_CONSTRAINT_UNIQUE || record.state === 'deleted') return error;
  assertPathFree(db, record);
  assertKeysFree(db, record);
  return error;
}

/** Throws PRECONDITION_FAILED when another live record has the path. */
function assertPathFree(db: SqliteDatabase, record: ResultRecord): void {
  const taken = db.one<{ id: string }>(
    "SELECT id FROM results WHERE path = ? AND state <> 'deleted' AND id <> ?",
    record.path,
    record.id,
  );
  if (taken) throw pathTakenError(record.path);
}

/** Throws PRECONDITION_FAILED for the first file key another live record uses in the target. */
function assertKeysFree(db: SqliteDatabase, record: ResultRecord): void {
  for (const file of record.files) {
    const other = db.one<{ result_id: string }>(
      'SELECT result_id FROM result_files WHERE target_id = ? AND key = ? AND live = 1 AND result_id <> ?',
      record.targetId,
      file.key,
      record.id,
    );
    if (other) throw keyTakenError(file.key, record.targetId);
  }
}

/** Throws PRECONDITION_FAILED when `location` points to another live record. */
function assertLocationFree(db: SqliteDatabase, location: string, id: string): void {
  const owner = db.one<{ id: string; state: string }>(
    'SELECT r.id, r.state FROM locations l JOIN results r ON r.id = l.result_id WHERE l.location = ?',
    location,
  );
  if (owner && owner.id !== id && owner.state !== 'deleted') {
    throw locationTakenError(location);
  }
}

/**
 * Points `location` at record `id`: a new location, or one whose record is
 * deleted (or gone). One that already points here, or to a live record,
 * is left as it is, and only then is it looked up, to refuse the second.
 */
export function pointLocation(db: SqliteDatabase, location: string, id: string, now: number): void {
  const changed = db.run(
    `INSERT INTO locations (location, result_id, created_at) VALUES (?, ?, ?)
     ON CONFLICT (location) DO UPDATE SET result_id = excluded.result_id
     WHERE locations.result_id <> excluded.result_id
       AND COALESCE((SELECT state FROM results WHERE id = locations.result_id), 'deleted') = 'deleted'`,
    location,
    id,
    now,
  );
  if (changed === 0) assertLocationFree(db, location, id);
}

const INSERT_FILE = `INSERT INTO result_files (${FILE_COLUMNS.join(', ')}) VALUES (${FILE_COLUMNS.map(() => '?').join(', ')})`;

/** Inserts a row per file of `record`, in position order. */
export function writeFiles(db: SqliteDatabase, record: ResultRecord): void {
  for (const values of fileValues(record)) {
    db.run(INSERT_FILE, ...values);
  }
}
