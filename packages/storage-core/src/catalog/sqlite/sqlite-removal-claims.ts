/**
 * The SQLite catalog's removal claims (see `Catalog.claimRemoval` in
 * ../types.ts and ../removal-claims.ts): a row per claimed key in
 * `removal_claims`, committed and synced before the claim returns, so a
 * check made after it by another process sees it.
 */
import { randomUUID } from 'node:crypto';
import { refuseProblems, removalClaimProblems } from '../record-problems.js';
import type { RemovalClaimRequest } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** Claims `request.keys` in one transaction (dropping expired claims first); returns the claim's id. */
export function claimRemoval(db: SqliteDatabase, request: RemovalClaimRequest): string {
  refuseProblems('removal claim', removalClaimProblems(request));
  const id = randomUUID();
  const now = request.now ?? Date.now();
  db.transaction(() => {
    db.run('DELETE FROM removal_claims WHERE lease_until <= ?', now);
    for (const key of new Set(request.keys)) {
      db.run(
        'INSERT INTO removal_claims (id, target_id, key, lease_until) VALUES (?, ?, ?, ?)',
        id,
        request.targetId,
        key,
        now + request.leaseMs,
      );
    }
  });
  return id;
}

/** Drops the claim `id`. */
export function releaseRemoval(db: SqliteDatabase, id: string): void {
  db.transaction(() => db.run('DELETE FROM removal_claims WHERE id = ?', id));
}

/** True when a claim whose lease runs past `now` names `key` in `targetId`. */
export function removalClaimed(db: SqliteDatabase, targetId: string, key: string, now: number): boolean {
  return (
    db.one(
      'SELECT 1 AS claimed FROM removal_claims WHERE target_id = ? AND key = ? AND lease_until > ? LIMIT 1',
      targetId,
      key,
      now,
    ) !== undefined
  );
}
