/**
 * The checks and writes one record transaction of the Postgres catalog makes
 * (postgres-catalog.ts): the uniqueness rules checked explicitly (when a run
 * of the transaction after a unique index refused a row words the refusal
 * exactly as the SQLite catalog does), the location rows claimed, the file
 * rows written. Each runs on the transaction it is given.
 */
import { keyTakenError, locationTakenError, pathTakenError, type ResultRecord } from '@stowage/storage-core';
import type { Queryable } from './connection.js';
import { insertFilesQuery, insertKeptQuery, type Tables } from './rows.js';

/** What pointing a location at a record takes: nothing, a new row, or moving the row from a deleted record. */
type LocationAction = 'none' | 'insert' | 'reassign';

/** PRECONDITION_FAILED when another live record has the path. */
export async function assertPathFree(tx: Queryable, tables: Tables, record: ResultRecord): Promise<void> {
  const { rows } = await tx.query(
    `SELECT 1 FROM ${tables.results} WHERE path = $1 AND state <> 'deleted' AND id <> $2`,
    [record.path, record.id],
  );
  if (rows.length > 0) throw pathTakenError(record.path);
}

/** PRECONDITION_FAILED naming the first file (in file order) whose key another live record uses in the target. */
export async function assertKeysFree(tx: Queryable, tables: Tables, record: ResultRecord): Promise<void> {
  const { rows } = await tx.query<{ key: string }>(
    `SELECT key FROM ${tables.files} WHERE target_id = $1 AND key = ANY($2::text[]) AND live AND result_id <> $3`,
    [record.targetId, record.files.map((file) => file.key), record.id],
  );
  const taken = new Set(rows.map((row) => row.key));
  const first = record.files.find((file) => taken.has(file.key));
  if (first) throw keyTakenError(first.key, record.targetId);
}

/**
 * Locks `location`'s row (when it exists) and its owner, and says what pointing it at `id`
 * takes; PRECONDITION_FAILED when it points to another live record. The locks keep a
 * concurrent transaction from reassigning the location or reviving its owner meanwhile.
 */
async function lockLocation(tx: Queryable, tables: Tables, location: string, id: string): Promise<LocationAction> {
  const { rows } = await tx.query<{ result_id: string }>(
    `SELECT result_id FROM ${tables.locations} WHERE location = $1 FOR UPDATE`,
    [location],
  );
  const owner = rows[0]?.result_id;
  if (owner === undefined) return 'insert';
  if (owner === id) return 'none';
  const state = await tx.query<{ state: string }>(`SELECT state FROM ${tables.results} WHERE id = $1 FOR SHARE`, [
    owner,
  ]);
  if (state.rows[0]?.state !== 'deleted') throw locationTakenError(location);
  return 'reassign';
}

async function pointLocation(
  tx: Queryable,
  tables: Tables,
  action: LocationAction,
  location: string,
  id: string,
  now: number,
): Promise<void> {
  if (action === 'insert') {
    // A plain INSERT: a concurrent insert of the same location fails the primary key and the
    // transaction is retried, when lockLocation sees the winner.
    await tx.query(`INSERT INTO ${tables.locations} (location, result_id, created_at) VALUES ($1, $2, $3)`, [
      location,
      id,
      now,
    ]);
  } else if (action === 'reassign') {
    await tx.query(`UPDATE ${tables.locations} SET result_id = $2 WHERE location = $1`, [location, id]);
  }
}

/**
 * Points `location` at record `id`. A new location (an offload's, nearly
 * always) is one INSERT; one that exists is locked with its owner, and taken
 * over only from a deleted record (PRECONDITION_FAILED when it points to
 * another live one). An INSERT that meets a concurrent transaction's row waits
 * for it: its commit leaves a row to lock, its rollback lets the INSERT in.
 */
export async function claimLocation(
  tx: Queryable,
  tables: Tables,
  location: string,
  id: string,
  now: number,
): Promise<void> {
  const inserted = await tx.query(
    `INSERT INTO ${tables.locations} (location, result_id, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (location) DO NOTHING`,
    [location, id, now],
  );
  if (inserted.rowCount === 1) return;
  await pointLocation(tx, tables, await lockLocation(tx, tables, location, id), location, id, now);
}

/** Inserts a row per file of `record`, in one statement. */
export async function writeFiles(tx: Queryable, tables: Tables, record: ResultRecord): Promise<void> {
  const { text, values } = insertFilesQuery(tables, record);
  await tx.query(text, values);
}

/** Replaces the kept-copy rows of `record` (none written for a record that keeps no copy). */
export async function writeKeptCopies(
  tx: Queryable,
  tables: Tables,
  record: ResultRecord,
  replace: boolean,
): Promise<void> {
  if (replace) await tx.query(`DELETE FROM ${tables.kept} WHERE result_id = $1`, [record.id]);
  if (record.keptCopies.length === 0) return;
  const { text, values } = insertKeptQuery(tables, record);
  await tx.query(text, values);
}
