/**
 * The embedded catalog: one SQLite file (next to the settings file by default),
 * opened through Node's built-in `node:sqlite`. WAL journal with
 * `synchronous=FULL`, so a commit is on disk before the call returns and a
 * power cut loses nothing that was reported; every change runs in a
 * `BEGIN IMMEDIATE` transaction, so several processes on one machine can share
 * the file (readers never block, writers wait up to the busy timeout).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { ErrorCode, StorageError } from '../../errors.js';
import { applyChanges } from '../apply-changes.js';
import { changeProblems, claimProblems, newRecordProblems, refuseProblems } from '../record-problems.js';
import {
  type Catalog,
  type CatalogFileEntry,
  type CatalogStats,
  type ClaimRequest,
  type NewResultRecord,
  RESULT_STATES,
  type ResultChanges,
  type ResultIntent,
  type ResultQuery,
  type ResultRecord,
  type ResultState,
  type UpdateOptions,
} from '../types.js';
import { loadSqlite } from './load-sqlite.js';
import {
  type FileRow,
  fileValues,
  RESULT_COLUMNS,
  type ResultRow,
  recordFromRows,
  resultValues,
  whereClause,
} from './rows.js';
import { migrate } from './schema.js';

/** Options of `openSqliteCatalog`. */
export interface SqliteCatalogOptions {
  /** The database file; its folder is created when missing. */
  readonly file: string;
  /** How long a write waits for another process's transaction, in milliseconds. Default 10,000. */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_PAGE_SIZE = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Opens (creating and upgrading as needed) the SQLite catalog at `options.file`. */
export async function openSqliteCatalog(options: SqliteCatalogOptions): Promise<SqliteCatalog> {
  return new SqliteCatalog(options);
}

/** The Catalog on one SQLite file. Create with `openSqliteCatalog()`. */
export class SqliteCatalog implements Catalog {
  readonly kind = 'sqlite';
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  constructor(options: SqliteCatalogOptions) {
    if (typeof options?.file !== 'string' || options.file.length === 0) {
      throw new StorageError(ErrorCode.InvalidInput, 'sqlite catalog: file must be a non-empty path');
    }
    const busy = options.busyTimeoutMs ?? 10_000;
    if (!(Number.isSafeInteger(busy) && busy >= 0)) {
      throw new StorageError(ErrorCode.InvalidInput, 'sqlite catalog: busyTimeoutMs must be a whole number');
    }
    this.file = options.file;
    const { DatabaseSync } = loadSqlite();
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      this.#db = new DatabaseSync(options.file);
      this.#db.exec(`PRAGMA busy_timeout = ${busy}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      migrate(this.#db, options.file);
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError(
        ErrorCode.Misconfigured,
        `cannot open catalog ${options.file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async get(id: string): Promise<ResultRecord | undefined> {
    return this.#load(this.#one<ResultRow>('SELECT * FROM results WHERE id = ?', id));
  }

  async findByPath(path: string): Promise<ResultRecord | undefined> {
    return this.#load(this.#one<ResultRow>("SELECT * FROM results WHERE path = ? AND state <> 'deleted'", path));
  }

  async resolve(location: string): Promise<ResultRecord | undefined> {
    return this.#load(
      this.#one<ResultRow>(
        'SELECT r.* FROM locations l JOIN results r ON r.id = l.result_id WHERE l.location = ?',
        location,
      ),
    );
  }

  async locationsOf(id: string): Promise<string[]> {
    const rows = this.#all<{ location: string }>(
      `SELECT l.location FROM locations l JOIN results r ON r.id = l.result_id
       WHERE l.result_id = ? ORDER BY (l.location = r.location) DESC, l.created_at, l.location`,
      id,
    );
    return rows.map((row) => row.location);
  }

  async insert(input: NewResultRecord): Promise<ResultRecord> {
    refuseProblems('catalog record', newRecordProblems(input));
    const now = input.now ?? Date.now();
    const record: ResultRecord = {
      id: randomUUID(),
      path: input.path,
      state: input.state,
      targetId: input.targetId,
      key: input.key,
      location: input.location,
      files: input.files.map((file) => ({ ...file })),
      metadata: { ...(input.metadata ?? {}) },
      localCopy: input.localCopy,
      attempts: input.attempts ?? 0,
      lastError: input.lastError,
      dueAt: input.dueAt,
      intent: input.intent,
      migrationId: input.migrationId,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.#transaction(() => {
      if (record.state !== 'deleted') {
        const taken = this.#one<{ id: string }>(
          "SELECT id FROM results WHERE path = ? AND state <> 'deleted'",
          record.path,
        );
        if (taken) throw conflict(`path "${record.path}" already has a live record`);
        this.#assertKeysFree(record);
      }
      this.#assertLocationFree(input.location, record.id);
      this.#run(
        `INSERT INTO results (${RESULT_COLUMNS.join(', ')}) VALUES (${RESULT_COLUMNS.map(() => '?').join(', ')})`,
        ...resultValues(record),
      );
      this.#writeFiles(record);
      this.#pointLocation(input.location, record.id, now);
      return record;
    });
  }

  async update(
    id: string,
    expectedVersion: number,
    changes: ResultChanges,
    options: UpdateOptions = {},
  ): Promise<ResultRecord | undefined> {
    refuseProblems('catalog change', changeProblems(changes));
    const now = options.now ?? Date.now();
    return this.#transaction(() => {
      const current = this.#load(this.#one<ResultRow>('SELECT * FROM results WHERE id = ?', id));
      if (!current || current.version !== expectedVersion) return undefined;
      const next = applyChanges(current, changes, now);
      if (next.state !== 'deleted') {
        if (current.state === 'deleted') {
          const taken = this.#one<{ id: string }>(
            "SELECT id FROM results WHERE path = ? AND state <> 'deleted' AND id <> ?",
            next.path,
            id,
          );
          if (taken) throw conflict(`path "${next.path}" already has a live record`);
        }
        this.#assertKeysFree(next);
      }
      for (const location of options.addLocations ?? []) this.#assertLocationFree(location, id);
      const columns = RESULT_COLUMNS.slice(1);
      this.#run(
        `UPDATE results SET ${columns.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`,
        ...resultValues(next).slice(1),
        id,
      );
      this.#run('DELETE FROM result_files WHERE result_id = ?', id);
      this.#writeFiles(next);
      for (const location of options.addLocations ?? []) this.#pointLocation(location, id, now);
      return next;
    });
  }

  async claim(request: ClaimRequest): Promise<ResultRecord[]> {
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
    return this.#transaction(() => {
      const rows = this.#all<ResultRow>(
        `SELECT * FROM results WHERE ${filter} ORDER BY coalesce(due_at, 0), id LIMIT ?`,
        ...params,
        request.limit,
      );
      return rows.map((row) => {
        const current = this.#load(row) as ResultRecord;
        const { previous: recovering, ...abandoned } = current.intent ?? {};
        const intent = {
          kind: request.kind,
          attemptId: randomUUID(),
          owner: request.owner,
          startedAt: now,
          leaseUntil: now + request.leaseMs,
          ...(current.intent
            ? { previous: current.intent.kind === 'recover' && recovering ? recovering : (abandoned as ResultIntent) }
            : {}),
        };
        const next: ResultRecord = { ...current, intent, version: current.version + 1, updatedAt: now };
        this.#run(
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

  async renewLease(id: string, attemptId: string, leaseUntil: number): Promise<boolean> {
    return this.#transaction(() => {
      const row = this.#one<{ intent: string | null }>('SELECT intent FROM results WHERE id = ?', id);
      if (!row?.intent) return false;
      const intent = JSON.parse(row.intent);
      if (intent.attemptId !== attemptId) return false;
      // Renewal is bookkeeping, not a change of the record: the holder's version stays valid.
      this.#run(
        'UPDATE results SET intent = ?, lease_until = ? WHERE id = ?',
        JSON.stringify({ ...intent, leaseUntil }),
        leaseUntil,
        id,
      );
      return true;
    });
  }

  async *list(query: ResultQuery = {}): AsyncIterable<ResultRecord> {
    const { sql, params } = whereClause(query);
    const pageSize = pageSizeOf(query.pageSize);
    let after = '';
    for (;;) {
      const rows = this.#all<ResultRow>(
        `SELECT r.* FROM results r WHERE ${sql} AND r.id > ? ORDER BY r.id LIMIT ?`,
        ...params,
        after,
        pageSize,
      );
      for (const row of rows) yield this.#load(row) as ResultRecord;
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as ResultRow).id;
    }
  }

  async *listFiles(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogFileEntry> {
    const pageSize = pageSizeOf(options.pageSize);
    const prefix = options.keyPrefix ?? '';
    let after: string | undefined;
    for (;;) {
      const rows = this.#all<FileRow>(
        `SELECT * FROM result_files WHERE target_id = ? AND live = 1
           AND substr(key, 1, length(?)) = ? ${after === undefined ? '' : 'AND key > ?'}
         ORDER BY key LIMIT ?`,
        targetId,
        prefix,
        prefix,
        ...(after === undefined ? [] : [after]),
        pageSize,
      );
      const records = new Map<string, ResultRecord>();
      for (const row of rows) {
        let record = records.get(row.result_id);
        if (!record) {
          record = (await this.get(row.result_id)) as ResultRecord;
          records.set(row.result_id, record);
        }
        const file = record.files.find((candidate) => candidate.name === row.name) as ResultRecord['files'][number];
        yield { key: row.key, file, record };
      }
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as FileRow).key;
    }
  }

  async count(query: ResultQuery = {}): Promise<{ results: number; bytes: number }> {
    const { sql, params } = whereClause(query);
    const row = this.#one<{ results: number; bytes: number }>(
      `SELECT count(*) AS results, coalesce(sum(f.bytes), 0) AS bytes FROM results r
       LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM result_files GROUP BY result_id) f ON f.result_id = r.id
       WHERE ${sql}`,
      ...params,
    ) as { results: number; bytes: number };
    return { results: row.results, bytes: row.bytes };
  }

  async stats(options: { readonly since?: number; readonly now?: number } = {}): Promise<CatalogStats> {
    const now = options.now ?? Date.now();
    const since = options.since ?? now - DAY_MS;
    const byState = Object.fromEntries(RESULT_STATES.map((state) => [state, 0])) as Record<ResultState, number>;
    let total = 0;
    for (const row of this.#all<{ state: ResultState; n: number }>(
      'SELECT state, count(*) AS n FROM results GROUP BY state',
    )) {
      byState[row.state] = row.n;
      total += row.n;
    }
    const byTarget = this.#all<{ targetId: string; results: number; bytes: number }>(
      `SELECT r.target_id AS targetId, count(*) AS results, coalesce(sum(f.bytes), 0) AS bytes FROM results r
       LEFT JOIN (SELECT result_id, sum(size) AS bytes FROM result_files GROUP BY result_id) f ON f.result_id = r.id
       WHERE r.state <> 'deleted' GROUP BY r.target_id ORDER BY r.target_id`,
    ).map((row) => ({ targetId: row.targetId, results: row.results, bytes: row.bytes }));
    const inFlight = (
      this.#one<{ n: number }>(
        'SELECT count(*) AS n FROM results WHERE intent IS NOT NULL AND lease_until > ?',
        now,
      ) as {
        n: number;
      }
    ).n;
    const recentFailures = this.#all<{ code: string; count: number }>(
      `SELECT last_error_code AS code, count(*) AS count FROM results
       WHERE last_error_at >= ? GROUP BY last_error_code ORDER BY count DESC, code`,
      since,
    ).map((row) => ({ code: row.code, count: row.count }));
    return { total, byState, byTarget, inFlight, recentFailures };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }

  #assertKeysFree(record: ResultRecord): void {
    for (const file of record.files) {
      const other = this.#one<{ result_id: string }>(
        'SELECT result_id FROM result_files WHERE target_id = ? AND key = ? AND live = 1 AND result_id <> ?',
        record.targetId,
        file.key,
        record.id,
      );
      if (other) throw conflict(`key "${file.key}" in target "${record.targetId}" is already used by another result`);
    }
  }

  #assertLocationFree(location: string, id: string): void {
    const owner = this.#one<{ id: string; state: string }>(
      'SELECT r.id, r.state FROM locations l JOIN results r ON r.id = l.result_id WHERE l.location = ?',
      location,
    );
    if (owner && owner.id !== id && owner.state !== 'deleted') {
      throw conflict(`location "${location}" already points to another result`);
    }
  }

  #pointLocation(location: string, id: string, now: number): void {
    this.#run(
      `INSERT INTO locations (location, result_id, created_at) VALUES (?, ?, ?)
       ON CONFLICT (location) DO UPDATE SET result_id = excluded.result_id
       WHERE locations.result_id <> excluded.result_id`,
      location,
      id,
      now,
    );
  }

  #writeFiles(record: ResultRecord): void {
    for (const values of fileValues(record)) {
      this.#run(
        `INSERT INTO result_files (result_id, position, name, path, target_id, key, live, size, sha256, content_type, identity)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ...values,
      );
    }
  }

  #load(row: ResultRow | undefined): ResultRecord | undefined {
    if (!row) return undefined;
    const files = this.#all<FileRow>('SELECT * FROM result_files WHERE result_id = ? ORDER BY position', row.id);
    return recordFromRows(row, files);
  }

  #transaction<T>(run: () => T): T {
    this.#assertOpen();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = run();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #statement(sql: string): StatementSync {
    this.#assertOpen();
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #one<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#statement(sql).get(...params) as T | undefined;
  }

  #all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#statement(sql).all(...params) as T[];
  }

  #run(sql: string, ...params: SQLInputValue[]): void {
    this.#statement(sql).run(...params);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError(ErrorCode.Unsupported, `catalog ${this.file} was closed`);
  }
}

function conflict(message: string): StorageError {
  return new StorageError(ErrorCode.PreconditionFailed, `catalog: ${message}`);
}

function pageSizeOf(pageSize: number | undefined): number {
  if (pageSize === undefined) return DEFAULT_PAGE_SIZE;
  if (!(Number.isSafeInteger(pageSize) && pageSize >= 1 && pageSize <= 10_000)) {
    throw new StorageError(ErrorCode.InvalidInput, 'catalog listing: pageSize must be a whole number from 1 to 10,000');
  }
  return pageSize;
}
