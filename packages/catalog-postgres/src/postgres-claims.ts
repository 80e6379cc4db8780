/**
 * Claims in the Postgres catalog (see `Catalog.claim`): records that no one
 * holds, taken with `FOR UPDATE SKIP LOCKED` so servers asking at once each
 * get different records (or none) without waiting on each other, and given a
 * fresh intent in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { type ClaimRequest, claimedIntent, type ResultRecord } from '@stowage/storage-core';
import type { Connection } from './connection.js';
import { type RecordRow, recordFromRow, type Tables } from './rows.js';

/** Takes up to `request.limit` records `request.select` matches; `select` is the SQL selecting whole records. */
export async function claimRecords(
  db: Connection,
  tables: Tables,
  select: string,
  request: ClaimRequest,
): Promise<ResultRecord[]> {
  const now = request.now ?? Date.now();
  const selector = request.select as { due?: true; migrationId?: string; expired?: true };
  let filter: string;
  let param: unknown;
  if (selector.expired) {
    filter = 'r.intent IS NOT NULL AND r.lease_until <= $1::int8';
    param = now;
  } else if (selector.migrationId !== undefined) {
    filter = "r.migration_id = $1 AND r.state <> 'deleted' AND r.intent IS NULL";
    param = selector.migrationId;
  } else {
    filter = "r.state = 'pending' AND coalesce(r.due_at, 0) <= $1::int8 AND r.intent IS NULL";
    param = now;
  }
  return db.transaction(async (tx) => {
    // SKIP LOCKED: rows another server is claiming right now are passed over, not waited for;
    // a row claimed and committed meanwhile is re-checked against the filter and no longer matches.
    const { rows } = await tx.query<RecordRow>(
      `${select} WHERE ${filter} ORDER BY coalesce(r.due_at, 0), r.id LIMIT $2 FOR UPDATE OF r SKIP LOCKED`,
      [param, request.limit],
    );
    const claimed = rows.map((row) => {
      const current = recordFromRow(row);
      const intent = claimedIntent(current, request, randomUUID(), now);
      return { ...current, intent, version: current.version + 1, updatedAt: now };
    });
    if (claimed.length > 0) {
      await tx.query(
        `UPDATE ${tables.results} r SET intent = c.intent, lease_until = c.lease_until, version = c.version, updated_at = $4
         FROM unnest($1::text[], $2::jsonb[], $3::int8[], $5::int8[]) AS c (id, intent, lease_until, version)
         WHERE r.id = c.id`,
        [
          claimed.map((record) => record.id),
          claimed.map((record) => JSON.stringify(record.intent)),
          claimed.map((record) => record.intent.leaseUntil),
          now,
          claimed.map((record) => record.version),
        ],
      );
    }
    return claimed;
  });
}
