/**
 * The SQLite catalog's kept copies (see KeptCopy in ../types.ts): a row per
 * key in `kept_copies`, written with the record's commit, listed by target in
 * key order for reconcile, counted for the target views.
 */
import { KEPT_COLUMNS, keptColumnValues } from '../columns.js';
import { listingPageSize } from '../record-problems.js';
import type { CatalogKeptEntry, ResultRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { sqliteValue } from './rows.js';
import { startsWith } from './sql-prefix.js';

const INSERT_KEPT = `INSERT INTO kept_copies (${KEPT_COLUMNS.join(', ')}) VALUES (${KEPT_COLUMNS.map(() => '?').join(', ')})`;

/** Inserts a row per key of each kept copy of `record`. */
export function writeKeptCopies(db: SqliteDatabase, record: ResultRecord): void {
  for (const values of keptColumnValues(record)) db.run(INSERT_KEPT, ...values.map(sqliteValue));
}

/** The kept keys of live records in `targetId`, in UTF-8 byte order (SQLite's BINARY collation), a page at a time. */
export async function* listKept(
  db: SqliteDatabase,
  get: (id: string) => Promise<ResultRecord | undefined>,
  targetId: string,
  options: { readonly keyPrefix?: string; readonly pageSize?: number },
): AsyncIterable<CatalogKeptEntry> {
  const pageSize = listingPageSize(options.pageSize);
  const prefix = startsWith('k.key', options.keyPrefix ?? '');
  let after: [string, string, number] | undefined;
  for (;;) {
    const rows = db.all<{ key: string; result_id: string; position: number }>(
      `SELECT k.key, k.result_id, k.position FROM kept_copies k JOIN results r ON r.id = k.result_id
       WHERE k.target_id = ? AND r.state <> 'deleted' AND ${prefix.sql}
         ${after === undefined ? '' : 'AND (k.key, k.result_id, k.position) > (?, ?, ?)'}
       ORDER BY k.key, k.result_id, k.position LIMIT ?`,
      targetId,
      ...prefix.params,
      ...(after ?? []),
      pageSize,
    );
    const records = new Map<string, ResultRecord>();
    for (const row of rows) {
      let record = records.get(row.result_id);
      if (!record) {
        record = (await get(row.result_id)) as ResultRecord;
        records.set(row.result_id, record);
      }
      yield { key: row.key, position: row.position, record };
    }
    if (rows.length < pageSize) return;
    const last = rows.at(-1) as (typeof rows)[number];
    after = [last.key, last.result_id, last.position];
  }
}

/** How many live records keep a copy in `targetId`, and their kept keys there. */
export function countKept(db: SqliteDatabase, targetId: string): { results: number; keys: number } {
  const row = db.one<{ results: number; keys: number }>(
    `SELECT count(DISTINCT k.result_id) AS results, count(*) AS keys FROM kept_copies k
       JOIN results r ON r.id = k.result_id WHERE k.target_id = ? AND r.state <> 'deleted'`,
    targetId,
  ) as { results: number; keys: number };
  return { results: row.results, keys: row.keys };
}
