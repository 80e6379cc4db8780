/**
 * Claims on the SQLite catalog: work handed to one owner at a time under a
 * lease, in one immediate transaction, so two processes never take the same
 * record.
 */
import { randomUUID } from 'node:crypto';
import type { SQLInputValue } from 'node:sqlite';
import { claimedIntent } from '../new-record.js';
import { claimProblems, refuseProblems } from '../record-problems.js';
import type { ClaimRequest, ResultRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { loadRecord, type ResultRow } from './rows.js';

/** Takes up to `request.limit` records matching its selector (see `Catalog.claim`). */
export function claimRecords(db: SqliteDatabase, request: ClaimRequest): ResultRecord[] {
  refuseProblems('catalog claim', claimProblems(request));
  const now = request.now ?? Date.now();
  const select = request.select as { due?: true; migrationId?: string; expired?: true };
  let filter: string;
  const params: SQLInputValue[] = [];
  if (select.expired) {
    filter = 'intent IS NOT NULL AND lease_until <= ?';
    params.push(now);
  } else if (select.migrationId !== undefined) {
    filter = "migration_id = ? AND state <> 'deleted' AND intent IS NULL";
    params.push(select.migrationId);
  } else {
    filter = "state = 'pending' AND coalesce(due_at, 0) <= ? AND intent IS NULL";
    params.push(now);
  }
  return db.transaction(() => {
    const rows = db.all<ResultRow>(
      `SELECT * FROM results WHERE ${filter} ORDER BY coalesce(due_at, 0), id LIMIT ?`,
      ...params,
      request.limit,
    );
    return rows.map((row) => {
      const current = loadRecord(db, row) as ResultRecord;
      const intent = claimedIntent(current, request, randomUUID(), now);
      const next: ResultRecord = { ...current, intent, version: current.version + 1, updatedAt: now };
      db.run(
        'UPDATE results SET intent = ?, lease_until = ?, version = ?, updated_at = ? WHERE id = ?',
        JSON.stringify(intent),
        intent.leaseUntil,
        next.version,
        now,
        current.id,
      );
      return next;
    });
  });
}

export function renewRecordLease(db: SqliteDatabase, id: string, attemptId: string, leaseUntil: number): boolean {
  return db.transaction(() => {
    const row = db.one<{ intent: string | null }>('SELECT intent FROM results WHERE id = ?', id);
    if (!row?.intent) return false;
    const intent = JSON.parse(row.intent);
    if (intent.attemptId !== attemptId) return false;
    // Renewal is bookkeeping, not a change of the record: the holder's version stays valid.
    db.run(
      'UPDATE results SET intent = ?, lease_until = ? WHERE id = ?',
      JSON.stringify({ ...intent, leaseUntil }),
      leaseUntil,
      id,
    );
    return true;
  });
}
