/**
 * The Postgres catalog's removal claims (see `Catalog.claimRemoval` in
 * @stowage/storage-core and its catalog/removal-claims.ts): a row per claimed
 * key in `removal_claims`, committed before the claim returns, so a check
 * made after it on any server sees it.
 */
import { randomUUID } from 'node:crypto';
import { type RemovalClaimRequest, refuseProblems, removalClaimProblems } from '@stowage/storage-core';
import type { Connection } from './connection.js';
import type { Tables } from './rows.js';

/** Removal claims in one catalog schema. */
export class PostgresRemovalClaims {
  readonly #db: Connection;
  readonly #table: string;

  constructor(db: Connection, tables: Tables) {
    this.#db = db;
    this.#table = tables.removalClaims;
  }

  /** Claims `request.keys` in one transaction (dropping expired claims first); returns the claim's id. */
  async claim(request: RemovalClaimRequest): Promise<string> {
    refuseProblems('removal claim', removalClaimProblems(request));
    const id = randomUUID();
    const now = request.now ?? Date.now();
    await this.#db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${this.#table} WHERE lease_until <= $1`, [now]);
      await tx.query(
        `INSERT INTO ${this.#table} (id, target_id, key, lease_until)
         SELECT $1, $2, key, $4 FROM unnest($3::text[]) AS claimed(key) ON CONFLICT DO NOTHING`,
        [id, request.targetId, [...new Set(request.keys)], now + request.leaseMs],
      );
    });
    return id;
  }

  /** Drops the claim `id`. */
  async release(id: string): Promise<void> {
    await this.#db.query(`DELETE FROM ${this.#table} WHERE id = $1`, [id]);
  }

  /** True when a claim whose lease runs past `now` names `key` in `targetId`. */
  async claimed(targetId: string, key: string, now: number): Promise<boolean> {
    const { rows } = await this.#db.query(
      `SELECT 1 AS claimed FROM ${this.#table} WHERE target_id = $1 AND key = $2 AND lease_until > $3 LIMIT 1`,
      [targetId, key, now],
    );
    return rows.length > 0;
  }
}
