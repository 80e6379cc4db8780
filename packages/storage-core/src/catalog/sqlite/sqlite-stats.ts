/** Counts over the SQLite catalog: records and bytes by filter, state and target. */
import { type CatalogStats, RESULT_STATES, type ResultQuery, type ResultState } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { whereClause } from './rows.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How many records match `query`, and the bytes of all their files. */
export function countResults(db: SqliteDatabase, query: ResultQuery): { results: number; bytes: number } {
  const { sql, params } = whereClause(query);
  const row = db.one<{ results: number; bytes: number }>(
    `SELECT count(*) AS results, coalesce(sum(f.bytes), 0) AS bytes FROM results r
       LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM result_files GROUP BY result_id) f ON f.result_id = r.id
       WHERE ${sql}`,
    ...params,
  ) as { results: number; bytes: number };
  return { results: row.results, bytes: row.bytes };
}

export function catalogStats(
  db: SqliteDatabase,
  options: { readonly since?: number; readonly now?: number },
): CatalogStats {
  const now = options.now ?? Date.now();
  const since = options.since ?? now - DAY_MS;
  const byState = Object.fromEntries(RESULT_STATES.map((state) => [state, 0])) as Record<ResultState, number>;
  let total = 0;
  for (const row of db.all<{ state: ResultState; n: number }>(
    'SELECT state, count(*) AS n FROM results GROUP BY state',
  )) {
    byState[row.state] = row.n;
    total += row.n;
  }
  const byTarget = db
    .all<{ targetId: string; results: number; bytes: number }>(
      `SELECT r.target_id AS targetId, count(*) AS results, coalesce(sum(f.bytes), 0) AS bytes FROM results r
       LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM result_files GROUP BY result_id) f ON f.result_id = r.id
       WHERE r.state <> 'deleted' GROUP BY r.target_id ORDER BY r.target_id`,
    )
    .map((row) => ({ targetId: row.targetId, results: row.results, bytes: row.bytes }));
  const inFlight = (
    db.one<{ n: number }>('SELECT count(*) AS n FROM results WHERE intent IS NOT NULL AND lease_until > ?', now) as {
      n: number;
    }
  ).n;
  const recentFailures = db
    .all<{ code: string; count: number }>(
      `SELECT last_error_code AS code, count(*) AS count FROM results
       WHERE last_error_at >= ? AND state <> 'deleted' GROUP BY last_error_code ORDER BY count DESC, code`,
      since,
    )
    .map((row) => ({ code: row.code, count: row.count }));
  return { total, byState, byTarget, inFlight, recentFailures };
}
