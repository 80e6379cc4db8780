/**
 * The embedded catalog: one SQLite file (next to the settings file by default),
 * opened through Node's built-in `node:sqlite`. WAL journal, synced before
 * any write resolves (database.ts), so a commit is on disk before the call
 * returns and a power cut loses nothing that was reported; every change runs in a
 * `BEGIN IMMEDIATE` transaction, so several processes on one machine can share
 * the file (readers never block, writers wait up to the busy timeout).
 */
import { ErrorCode, StorageError } from '../../errors.js';
import { applyChanges } from '../apply-changes.js';
import { RESULT_COLUMNS, sameFileColumns, sameKeptCopies } from '../columns.js';
import { recordToInsert } from '../new-record.js';
import { newRecordId } from '../record-id.js';
import { changeProblems, listingPageSize, newRecordProblems, refuseProblems } from '../record-problems.js';
import type {
  Catalog,
  CatalogFileEntry,
  CatalogJob,
  CatalogKeptEntry,
  CatalogPathEntry,
  CatalogStats,
  ClaimRequest,
  JobChanges,
  JobKind,
  JobState,
  NewResultRecord,
  RemovalClaimRequest,
  ResultChanges,
  ResultQuery,
  ResultRecord,
  UpdateOptions,
} from '../types.js';
import { WrittenRecords } from '../written-records.js';
import { SqliteDatabase } from './database.js';
import { type FileRow, loadRecord, type ResultRow, resultValues, whereClause } from './rows.js';
import { startsWith } from './sql-prefix.js';
import { claimRecords, renewRecordLease } from './sqlite-claims.js';
import { SqliteJobs } from './sqlite-jobs.js';
import { countKept, listKept, writeKeptCopies } from './sqlite-kept-copies.js';
import { conflictBehind, pointLocation, writeFiles } from './sqlite-record-writes.js';
import { claimRemoval, releaseRemoval, removalClaimed } from './sqlite-removal-claims.js';
import { catalogStats, countResults } from './sqlite-stats.js';

// Built once: the statement cache is keyed by the SQL text, and an offload runs both.
const INSERT_RESULT = `INSERT INTO results (${RESULT_COLUMNS.join(', ')}) VALUES (${RESULT_COLUMNS.map(() => '?').join(', ')})`;
const UPDATE_RESULT = `UPDATE results SET ${RESULT_COLUMNS.slice(1)
  .map((column) => `${column} = ?`)
  .join(', ')} WHERE id = ? AND version = ?`;

/** Options of `openSqliteCatalog`. */
export interface SqliteCatalogOptions {
  /** The database file; its folder is created when missing. */
  readonly file: string;
  /** How long a write waits for another process's transaction, in milliseconds. Default 10,000. */
  readonly busyTimeoutMs?: number;
}

/** Opens (creating and upgrading as needed) the SQLite catalog at `options.file`. */
export async function openSqliteCatalog(options: SqliteCatalogOptions): Promise<SqliteCatalog> {
  return new SqliteCatalog(options);
}

/** The Catalog on one SQLite file. Create with `openSqliteCatalog()`. */
export class SqliteCatalog implements Catalog {
  readonly kind = 'sqlite';
  readonly file: string;
  readonly #db: SqliteDatabase;
  readonly #jobs: SqliteJobs;
  readonly #written = new WrittenRecords();

  constructor(options: SqliteCatalogOptions) {
    if (typeof options?.file !== 'string' || options.file.length === 0) {
      throw new StorageError(ErrorCode.InvalidInput, 'sqlite catalog: file must be a non-empty path');
    }
    const busy = options.busyTimeoutMs ?? 10_000;
    if (!(Number.isSafeInteger(busy) && busy >= 0)) {
      throw new StorageError(ErrorCode.InvalidInput, 'sqlite catalog: busyTimeoutMs must be a whole number');
    }
    this.file = options.file;
    this.#db = new SqliteDatabase(options.file, busy);
    this.#jobs = new SqliteJobs(this.#db);
  }

  async get(id: string): Promise<ResultRecord | undefined> {
    return loadRecord(this.#db, this.#db.one<ResultRow>('SELECT * FROM results WHERE id = ?', id));
  }

  async findByPath(path: string): Promise<ResultRecord | undefined> {
    return loadRecord(
      this.#db,
      this.#db.one<ResultRow>("SELECT * FROM results WHERE path = ? AND state <> 'deleted'", path),
    );
  }

  async resolve(location: string): Promise<ResultRecord | undefined> {
    return loadRecord(
      this.#db,
      this.#db.one<ResultRow>(
        'SELECT r.* FROM locations l JOIN results r ON r.id = l.result_id WHERE l.location = ?',
        location,
      ),
    );
  }

  async locationsOf(id: string): Promise<string[]> {
    const rows = this.#db.all<{ location: string }>(
      `SELECT l.location FROM locations l JOIN results r ON r.id = l.result_id
       WHERE l.result_id = ? ORDER BY (l.location = r.location) DESC, l.created_at, l.location`,
      id,
    );
    return rows.map((row) => row.location);
  }

  async insert(input: NewResultRecord): Promise<ResultRecord> {
    refuseProblems('catalog record', newRecordProblems(input));
    const record = recordToInsert(input, newRecordId());
    const now = record.createdAt;
    const inserted = await this.#db.grouped(() => {
      try {
        this.#db.run(INSERT_RESULT, ...resultValues(record));
        writeFiles(this.#db, record);
        writeKeptCopies(this.#db, record);
      } catch (error) {
        throw conflictBehind(this.#db, error, record);
      }
      pointLocation(this.#db, input.location, record.id, now);
      return record;
    });
    this.#written.remember(inserted);
    return inserted;
  }

  async update(
    id: string,
    expectedVersion: number,
    changes: ResultChanges,
    options: UpdateOptions = {},
  ): Promise<ResultRecord | undefined> {
    refuseProblems('catalog change', changeProblems(changes));
    const now = options.now ?? Date.now();
    const updated = await this.#db.grouped(() => {
      const current =
        this.#written.at(id, expectedVersion) ??
        loadRecord(this.#db, this.#db.one<ResultRow>('SELECT * FROM results WHERE id = ?', id));
      if (!current || current.version !== expectedVersion) return undefined;
      const next = applyChanges(current, changes, now);
      try {
        const changed = this.#db.run(UPDATE_RESULT, ...resultValues(next).slice(1), id, expectedVersion);
        if (changed === 0) return undefined; // another process moved it on since this one wrote it
        if (!sameFileColumns(current, next)) {
          this.#db.run('DELETE FROM result_files WHERE result_id = ?', id);
          writeFiles(this.#db, next);
        }
        if (!sameKeptCopies(current, next)) {
          this.#db.run('DELETE FROM kept_copies WHERE result_id = ?', id);
          writeKeptCopies(this.#db, next);
        }
      } catch (error) {
        throw conflictBehind(this.#db, error, next);
      }
      for (const location of options.addLocations ?? []) pointLocation(this.#db, location, id, now);
      return next;
    });
    if (updated) this.#written.remember(updated);
    else this.#written.forget(id);
    return updated;
  }

  async claim(request: ClaimRequest): Promise<ResultRecord[]> {
    return claimRecords(this.#db, request);
  }

  async renewLease(id: string, attemptId: string, leaseUntil: number): Promise<boolean> {
    this.#written.forget(id); // the renewal keeps the version but changes the intent
    return renewRecordLease(this.#db, id, attemptId, leaseUntil);
  }

  async *list(query: ResultQuery = {}): AsyncIterable<ResultRecord> {
    const { sql, params } = whereClause(query);
    const pageSize = listingPageSize(query.pageSize);
    let after = '';
    for (;;) {
      const rows = this.#db.all<ResultRow>(
        `SELECT r.* FROM results r WHERE ${sql} AND r.id > ? ORDER BY r.id LIMIT ?`,
        ...params,
        after,
        pageSize,
      );
      for (const row of rows) yield loadRecord(this.#db, row) as ResultRecord;
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as ResultRow).id;
    }
  }

  async *listFiles(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogFileEntry> {
    const pageSize = listingPageSize(options.pageSize);
    const prefix = startsWith('key', options.keyPrefix ?? '');
    let after: string | undefined;
    for (;;) {
      const rows = this.#db.all<FileRow>(
        `SELECT * FROM result_files WHERE target_id = ? AND live = 1
           AND ${prefix.sql} ${after === undefined ? '' : 'AND key > ?'}
         ORDER BY key LIMIT ?`,
        targetId,
        ...prefix.params,
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

  async *listPaths(
    options: { readonly pathPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogPathEntry> {
    const pageSize = listingPageSize(options.pageSize);
    const prefix = startsWith('path', options.pathPrefix ?? '');
    // SQLite compares TEXT with memcmp over UTF-8 (the BINARY collation): UTF-8 byte order.
    let after: [string, string, string] | undefined;
    for (;;) {
      const rows = this.#db.all<{ path: string; result_id: string; name: string }>(
        `SELECT path, result_id, name FROM result_files WHERE live = 1
           AND ${prefix.sql} ${after === undefined ? '' : 'AND (path, result_id, name) > (?, ?, ?)'}
         ORDER BY path, result_id, name LIMIT ?`,
        ...prefix.params,
        ...(after ?? []),
        pageSize,
      );
      for (const row of rows) yield { path: row.path, resultId: row.result_id, name: row.name };
      if (rows.length < pageSize) return;
      const last = rows.at(-1) as (typeof rows)[number];
      after = [last.path, last.result_id, last.name];
    }
  }

  listKeptCopies(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogKeptEntry> {
    return listKept(this.#db, (id) => this.get(id), targetId, options);
  }

  async countKeptCopies(targetId: string): Promise<{ results: number; keys: number }> {
    return countKept(this.#db, targetId);
  }

  async count(query: ResultQuery = {}): Promise<{ results: number; bytes: number }> {
    return countResults(this.#db, query);
  }

  async stats(options: { readonly since?: number; readonly now?: number } = {}): Promise<CatalogStats> {
    return catalogStats(this.#db, options);
  }

  async createJob(job: {
    kind: JobKind;
    params: Readonly<Record<string, unknown>>;
    now?: number;
  }): Promise<CatalogJob> {
    return this.#jobs.create(job);
  }

  async getJob(id: string): Promise<CatalogJob | undefined> {
    return this.#jobs.get(id);
  }

  async listJobs(query?: { kind?: JobKind; state?: JobState | readonly JobState[] }): Promise<CatalogJob[]> {
    return this.#jobs.list(query);
  }

  async updateJob(
    id: string,
    expectedVersion: number,
    changes: JobChanges,
    options: { now?: number } = {},
  ): Promise<CatalogJob | undefined> {
    return this.#jobs.update(id, expectedVersion, changes, options.now ?? Date.now());
  }

  async claimJob(request: {
    kind: JobKind;
    owner: string;
    leaseMs: number;
    now?: number;
  }): Promise<CatalogJob | undefined> {
    return this.#jobs.claim(request);
  }

  async queueForMigration(jobId: string, query: ResultQuery): Promise<number> {
    return this.#jobs.queueForMigration(jobId, query, Date.now());
  }

  async claimRemoval(request: RemovalClaimRequest): Promise<string> {
    return claimRemoval(this.#db, request);
  }

  async releaseRemoval(id: string): Promise<void> {
    releaseRemoval(this.#db, id);
  }

  async removalClaimed(targetId: string, key: string, options: { now?: number } = {}): Promise<boolean> {
    return removalClaimed(this.#db, targetId, key, options.now ?? Date.now());
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
