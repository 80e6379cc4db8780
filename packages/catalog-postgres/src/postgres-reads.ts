/**
 * The read side of the Postgres catalog that walks or counts many rows: paged
 * listings in key order (records, a target's files, the results disk's
 * paths) and the stats, each page or report from one statement or snapshot.
 */
import {
  type CatalogFileEntry,
  type CatalogKeptEntry,
  type CatalogPathEntry,
  type CatalogStats,
  listingPageSize,
  RESULT_STATES,
  type ResultFile,
  type ResultQuery,
  type ResultRecord,
  type ResultState,
} from '@stowage/storage-core';
import type { Connection } from './connection.js';
import { type RecordRow, recordFromRow, recordSelect, type Tables, whereClause } from './rows.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A consistent snapshot for reads that take several statements. */
const SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** Listings and counts of one catalog schema. */
export class PostgresReads {
  readonly #db: Connection;
  readonly #tables: Tables;
  readonly #select: string;
  readonly #assertOpen: () => void;

  /** `assertOpen` throws once the catalog is closed; listings check it before each page. */
  constructor(db: Connection, tables: Tables, assertOpen: () => void) {
    this.#db = db;
    this.#tables = tables;
    this.#select = recordSelect(tables);
    this.#assertOpen = assertOpen;
  }

  async *records(query: ResultQuery = {}): AsyncIterable<ResultRecord> {
    const pageSize = listingPageSize(query.pageSize);
    let after = '';
    for (;;) {
      this.#assertOpen();
      const params: unknown[] = [];
      const where = whereClause(query, params);
      params.push(after, pageSize);
      const { rows } = await this.#db.query<RecordRow>(
        `${this.#select} WHERE ${where} AND r.id > $${params.length - 1} ORDER BY r.id LIMIT $${params.length}`,
        params,
      );
      for (const row of rows) yield recordFromRow(row);
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as RecordRow).id;
    }
  }

  async *files(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogFileEntry> {
    const pageSize = listingPageSize(options.pageSize);
    const prefix = options.keyPrefix ?? '';
    let after: string | undefined;
    for (;;) {
      this.#assertOpen();
      // One statement a page: each entry's record is read in the same snapshot as its file.
      // `key` is COLLATE "C", so ORDER BY key is UTF-8 byte order, served by result_files_live_key.
      const { rows } = await this.#db.query<RecordRow & { file_key: string; file_name: string }>(
        `SELECT f.key AS file_key, f.name AS file_name, rec.* FROM ${this.#tables.files} f
         CROSS JOIN LATERAL (${this.#select} WHERE r.id = f.result_id) rec
         WHERE f.target_id = $1 AND f.live AND starts_with(f.key, $2) ${after === undefined ? '' : 'AND f.key > $4'}
         ORDER BY f.key LIMIT $3`,
        [targetId, prefix, pageSize, ...(after === undefined ? [] : [after])],
      );
      for (const row of rows) {
        const record = recordFromRow(row);
        const file = record.files.find((candidate) => candidate.name === row.file_name) as ResultFile;
        yield { key: row.file_key, file, record };
      }
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as { file_key: string }).file_key;
    }
  }

  async *paths(
    options: { readonly pathPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogPathEntry> {
    const pageSize = listingPageSize(options.pageSize);
    const prefix = options.pathPrefix ?? '';
    let after: [string, string, string] | undefined;
    for (;;) {
      this.#assertOpen();
      // `path`, `result_id` and `name` are COLLATE "C": UTF-8 byte order, served by result_files_live_path.
      const { rows } = await this.#db.query<{ path: string; result_id: string; name: string }>(
        `SELECT path, result_id, name FROM ${this.#tables.files}
         WHERE live AND starts_with(path, $1) ${after === undefined ? '' : 'AND (path, result_id, name) > ($3, $4, $5)'}
         ORDER BY path, result_id, name LIMIT $2`,
        [prefix, pageSize, ...(after ?? [])],
      );
      for (const row of rows) yield { path: row.path, resultId: row.result_id, name: row.name };
      if (rows.length < pageSize) return;
      const last = rows.at(-1) as (typeof rows)[number];
      after = [last.path, last.result_id, last.name];
    }
  }

  async *keptCopies(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogKeptEntry> {
    const pageSize = listingPageSize(options.pageSize);
    const prefix = options.keyPrefix ?? '';
    let after: [string, string, number] | undefined;
    for (;;) {
      this.#assertOpen();
      // As `files`: one statement a page, COLLATE "C" key order, served by kept_copies_target_key.
      const { rows } = await this.#db.query<
        RecordRow & { kept_key: string; kept_result: string; kept_position: number }
      >(
        `SELECT k.key AS kept_key, k.result_id AS kept_result, k.position AS kept_position, rec.* FROM ${this.#tables.kept} k
         CROSS JOIN LATERAL (${this.#select} WHERE r.id = k.result_id) rec
         WHERE k.target_id = $1 AND rec.state <> 'deleted' AND starts_with(k.key, $2)
           ${after === undefined ? '' : 'AND (k.key, k.result_id, k.position) > ($4, $5, $6::int4)'}
         ORDER BY k.key, k.result_id, k.position LIMIT $3`,
        [targetId, prefix, pageSize, ...(after ?? [])],
      );
      for (const row of rows) yield { key: row.kept_key, position: row.kept_position, record: recordFromRow(row) };
      if (rows.length < pageSize) return;
      const last = rows.at(-1) as (typeof rows)[number];
      after = [last.kept_key, last.kept_result, last.kept_position];
    }
  }

  async countKept(targetId: string): Promise<{ results: number; keys: number }> {
    this.#assertOpen();
    const { rows } = await this.#db.query<{ results: number; keys: number }>(
      `SELECT count(DISTINCT k.result_id) AS results, count(*) AS keys FROM ${this.#tables.kept} k
       JOIN ${this.#tables.results} r ON r.id = k.result_id WHERE k.target_id = $1 AND r.state <> 'deleted'`,
      [targetId],
    );
    const row = rows[0] as { results: number; keys: number };
    return { results: row.results, keys: row.keys };
  }

  async count(query: ResultQuery = {}): Promise<{ results: number; bytes: number }> {
    this.#assertOpen();
    const params: unknown[] = [];
    const where = whereClause(query, params);
    const { rows } = await this.#db.query<{ results: number; bytes: number }>(
      `SELECT count(*) AS results, coalesce(sum(f.bytes), 0)::int8 AS bytes FROM ${this.#tables.results} r
       LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM ${this.#tables.files} GROUP BY result_id) f ON f.result_id = r.id
       WHERE ${where}`,
      params,
    );
    const row = rows[0] as { results: number; bytes: number };
    return { results: row.results, bytes: row.bytes };
  }

  async stats(options: { readonly since?: number; readonly now?: number } = {}): Promise<CatalogStats> {
    this.#assertOpen();
    const now = options.now ?? Date.now();
    const since = options.since ?? now - DAY_MS;
    const { results, files } = this.#tables;
    // Four reads, one snapshot: the counts add up even while other servers write.
    return this.#db.transaction(
      async (tx) => {
        const byState = Object.fromEntries(RESULT_STATES.map((state) => [state, 0])) as Record<ResultState, number>;
        let total = 0;
        const states = await tx.query<{ state: ResultState; n: number }>(
          `SELECT state, count(*) AS n FROM ${results} GROUP BY state`,
        );
        for (const row of states.rows) {
          byState[row.state] = row.n;
          total += row.n;
        }
        const targets = await tx.query<{ target_id: string; results: number; bytes: number }>(
          `SELECT r.target_id, count(*) AS results, coalesce(sum(f.bytes), 0)::int8 AS bytes FROM ${results} r
           LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM ${files} GROUP BY result_id) f ON f.result_id = r.id
           WHERE r.state <> 'deleted' GROUP BY r.target_id ORDER BY r.target_id`,
        );
        const inFlight = await tx.query<{ n: number }>(
          `SELECT count(*) AS n FROM ${results} WHERE intent IS NOT NULL AND lease_until > $1::int8`,
          [now],
        );
        const failures = await tx.query<{ code: string; count: number }>(
          `SELECT last_error_code AS code, count(*) AS count FROM ${results}
           WHERE last_error_at >= $1::int8 AND state <> 'deleted' GROUP BY last_error_code ORDER BY count DESC, code`,
          [since],
        );
        return {
          total,
          byState,
          byTarget: targets.rows.map((row) => ({ targetId: row.target_id, results: row.results, bytes: row.bytes })),
          inFlight: (inFlight.rows[0] as { n: number }).n,
          recentFailures: failures.rows.map((row) => ({ code: row.code, count: row.count })),
        };
      },
      { begin: SNAPSHOT },
    );
  }
}
