/**
 * The Catalog on Postgres, for several app servers sharing one record of every
 * result. Each method that writes is one transaction; `update` is a
 * compare-and-set on the record's version; `claim` takes rows with
 * `FOR UPDATE SKIP LOCKED`, so servers claiming at once take different
 * records without waiting on each other: the catalog's tables are the job
 * queue (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
 * The uniqueness rules (one live record per path, one live file per key in a
 * target, one live record per location) are partial unique indexes, checked
 * explicitly first so a refusal reads exactly as the SQLite catalog's.
 */
import {
  applyChanges,
  type Catalog,
  type CatalogFileEntry,
  type CatalogJob,
  type CatalogKeptEntry,
  type CatalogPathEntry,
  type CatalogStats,
  type ClaimRequest,
  changeProblems,
  claimProblems,
  ErrorCode,
  type JobChanges,
  type JobKind,
  type JobState,
  type NewResultRecord,
  newRecordId,
  newRecordProblems,
  RESULT_COLUMNS,
  type RemovalClaimRequest,
  type ResultChanges,
  type ResultQuery,
  type ResultRecord,
  recordToInsert,
  refuseProblems,
  resultColumnValues,
  StorageError,
  sameFileColumns,
  sameKeptCopies,
  type UpdateOptions,
  WrittenRecords,
} from '@stowage/storage-core';
import { Connection, type Queryable } from './connection.js';
import { type PostgresCatalogOptions, resolvePostgresCatalogOptions } from './options.js';
import { claimRecords } from './postgres-claims.js';
import { PostgresJobs } from './postgres-jobs.js';
import { PostgresReads } from './postgres-reads.js';
import { PostgresRemovalClaims } from './postgres-removal-claims.js';
import { assertKeysFree, assertPathFree, claimLocation, writeFiles, writeKeptCopies } from './record-writes.js';
import { type RecordRow, recordFromRow, recordSelect, resultPlaceholders, type Tables, tablesIn } from './rows.js';
import { migrate, quoteIdentifier } from './schema.js';

/**
 * Opens the catalog in `options.schema` (default `stowage`), creating and
 * upgrading its tables as needed under the migration lock (see schema.ts).
 * Bad options are INVALID_INPUT before any connection; an unreachable server
 * is UNAVAILABLE (or TIMEOUT), refused credentials INVALID_CREDENTIALS, a
 * schema from a newer Stowage MISCONFIGURED. No message holds the password.
 */
export async function openPostgresCatalog(options: PostgresCatalogOptions): Promise<PostgresCatalog> {
  const resolved = resolvePostgresCatalogOptions(options);
  const connection = new Connection(resolved.pool, resolved.server);
  try {
    await connection.withClient((client) => migrate(client, resolved.schema));
  } catch (error) {
    if (resolved.ownsPool) await resolved.pool.end().catch(() => {});
    throw error;
  }
  return new PostgresCatalog(connection, resolved.schema, resolved.ownsPool ? resolved.pool : undefined);
}

/** The Catalog on one Postgres schema. Create with `openPostgresCatalog()`. */
export class PostgresCatalog implements Catalog {
  readonly kind = 'postgres';
  /** The schema holding the tables. */
  readonly schema: string;
  readonly #db: Connection;
  readonly #tables: Tables;
  readonly #select: string;
  readonly #jobs: PostgresJobs;
  readonly #reads: PostgresReads;
  readonly #removals: PostgresRemovalClaims;
  readonly #written = new WrittenRecords();
  /** The pool to end on close, when the catalog made it. */
  readonly #ownPool: { end(): Promise<void> } | undefined;
  #closed = false;

  /** Use `openPostgresCatalog()`, which applies the migrations first. */
  constructor(connection: Connection, schema: string, ownPool: { end(): Promise<void> } | undefined) {
    this.schema = schema;
    this.#db = connection;
    this.#tables = tablesIn(quoteIdentifier(schema));
    this.#select = recordSelect(this.#tables);
    this.#jobs = new PostgresJobs(connection, this.#tables);
    this.#reads = new PostgresReads(connection, this.#tables, () => this.#assertOpen());
    this.#removals = new PostgresRemovalClaims(connection, this.#tables);
    this.#ownPool = ownPool;
  }

  async get(id: string): Promise<ResultRecord | undefined> {
    return this.#one(`${this.#select} WHERE r.id = $1`, [id]);
  }

  async findByPath(path: string): Promise<ResultRecord | undefined> {
    return this.#one(`${this.#select} WHERE r.path = $1 AND r.state <> 'deleted'`, [path]);
  }

  async resolve(location: string): Promise<ResultRecord | undefined> {
    return this.#one(
      `${this.#select} WHERE r.id = (SELECT l.result_id FROM ${this.#tables.locations} l WHERE l.location = $1)`,
      [location],
    );
  }

  async locationsOf(id: string): Promise<string[]> {
    this.#assertOpen();
    const { rows } = await this.#db.query<{ location: string }>(
      `SELECT l.location FROM ${this.#tables.locations} l JOIN ${this.#tables.results} r ON r.id = l.result_id
       WHERE l.result_id = $1 ORDER BY (l.location = r.location) DESC, l.created_at, l.location`,
      [id],
    );
    return rows.map((row) => row.location);
  }

  async insert(input: NewResultRecord): Promise<ResultRecord> {
    refuseProblems('catalog record', newRecordProblems(input));
    this.#assertOpen();
    const record = recordToInsert(input, newRecordId());
    const inserted = await this.#db.transaction(
      async (tx, attempt) => {
        // The unique indexes check path and keys as the rows go in; a run after one refused a row
        // checks first, so the refusal is worded as every catalog words it (record-writes.ts).
        if (attempt > 1 && record.state !== 'deleted') {
          await assertPathFree(tx, this.#tables, record);
          await assertKeysFree(tx, this.#tables, record);
        }
        await tx.query(
          `INSERT INTO ${this.#tables.results} (${RESULT_COLUMNS.join(', ')}) VALUES (${resultPlaceholders(1).join(', ')})`,
          resultColumnValues(record),
        );
        await writeFiles(tx, this.#tables, record);
        await writeKeptCopies(tx, this.#tables, record, false);
        await claimLocation(tx, this.#tables, record.location, record.id, record.createdAt);
        return record;
      },
      { retry: true },
    );
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
    this.#assertOpen();
    const now = options.now ?? Date.now();
    const locations = [...new Set(options.addLocations ?? [])];
    const updated = await this.#db.transaction(
      async (tx, attempt) => {
        // A record this catalog wrote at that version is not read back: the UPDATE's version
        // check below proves the row still is as written (WrittenRecords). Otherwise the row
        // lock makes the version read here the one the UPDATE compares.
        const current =
          (attempt === 1 ? this.#written.at(id, expectedVersion) : undefined) ??
          (await this.#oneOn(tx, `${this.#select} WHERE r.id = $1 FOR UPDATE OF r`, [id]));
        if (!current || current.version !== expectedVersion) return undefined;
        const next = applyChanges(current, changes, now);
        // Most changes touch only the record's own row (an intent taken or cleared, a schedule):
        // its file rows, and so the key rule they carry, stay as they are.
        const filesChange = !sameFileColumns(current, next);
        if (attempt > 1 && next.state !== 'deleted') {
          if (current.state === 'deleted') await assertPathFree(tx, this.#tables, next);
          if (filesChange) await assertKeysFree(tx, this.#tables, next);
        }
        const columns = RESULT_COLUMNS.slice(1);
        const placeholders = resultPlaceholders(1).slice(1);
        const changed = await tx.query(
          `UPDATE ${this.#tables.results} SET ${columns.map((column, i) => `${column} = ${placeholders[i]}`).join(', ')}
           WHERE id = $1 AND version = $${RESULT_COLUMNS.length + 1}`,
          [...resultColumnValues(next), expectedVersion],
        );
        if (changed.rowCount !== 1) return undefined;
        if (filesChange) {
          await tx.query(`DELETE FROM ${this.#tables.files} WHERE result_id = $1`, [id]);
          await writeFiles(tx, this.#tables, next);
        }
        if (!sameKeptCopies(current, next)) await writeKeptCopies(tx, this.#tables, next, true);
        for (const location of locations) await claimLocation(tx, this.#tables, location, id, now);
        return next;
      },
      { retry: true },
    );
    if (updated) this.#written.remember(updated);
    else this.#written.forget(id);
    return updated;
  }

  async claim(request: ClaimRequest): Promise<ResultRecord[]> {
    refuseProblems('catalog claim', claimProblems(request));
    this.#assertOpen();
    return claimRecords(this.#db, this.#tables, this.#select, request);
  }

  async renewLease(id: string, attemptId: string, leaseUntil: number): Promise<boolean> {
    if (!Number.isSafeInteger(leaseUntil)) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        'catalog renewLease: leaseUntil must be a time in epoch milliseconds',
      );
    }
    this.#assertOpen();
    this.#written.forget(id); // the renewal keeps the version but changes the intent
    // One statement, so atomic on its own. Renewal is bookkeeping, not a change of the record:
    // the holder's version stays valid.
    const { rowCount } = await this.#db.query(
      `UPDATE ${this.#tables.results}
       SET intent = jsonb_set(intent, '{leaseUntil}', to_jsonb($3::int8)), lease_until = $3::int8
       WHERE id = $1 AND intent ->> 'attemptId' = $2`,
      [id, attemptId, leaseUntil],
    );
    return rowCount === 1;
  }

  list(query: ResultQuery = {}): AsyncIterable<ResultRecord> {
    return this.#reads.records(query);
  }

  listFiles(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogFileEntry> {
    return this.#reads.files(targetId, options);
  }

  listPaths(
    options: { readonly pathPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogPathEntry> {
    return this.#reads.paths(options);
  }

  listKeptCopies(
    targetId: string,
    options: { readonly keyPrefix?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<CatalogKeptEntry> {
    return this.#reads.keptCopies(targetId, options);
  }

  async countKeptCopies(targetId: string): Promise<{ results: number; keys: number }> {
    return this.#reads.countKept(targetId);
  }

  async count(query: ResultQuery = {}): Promise<{ results: number; bytes: number }> {
    return this.#reads.count(query);
  }

  async stats(options: { readonly since?: number; readonly now?: number } = {}): Promise<CatalogStats> {
    return this.#reads.stats(options);
  }

  async createJob(job: {
    kind: JobKind;
    params: Readonly<Record<string, unknown>>;
    now?: number;
  }): Promise<CatalogJob> {
    this.#assertOpen();
    return this.#jobs.create(job);
  }

  async getJob(id: string): Promise<CatalogJob | undefined> {
    this.#assertOpen();
    return this.#jobs.get(id);
  }

  async listJobs(query?: { kind?: JobKind; state?: JobState | readonly JobState[] }): Promise<CatalogJob[]> {
    this.#assertOpen();
    return this.#jobs.list(query);
  }

  async updateJob(
    id: string,
    expectedVersion: number,
    changes: JobChanges,
    options: { now?: number } = {},
  ): Promise<CatalogJob | undefined> {
    this.#assertOpen();
    return this.#jobs.update(id, expectedVersion, changes, options.now ?? Date.now());
  }

  async claimJob(request: {
    kind: JobKind;
    owner: string;
    leaseMs: number;
    now?: number;
  }): Promise<CatalogJob | undefined> {
    this.#assertOpen();
    return this.#jobs.claim(request);
  }

  async queueForMigration(jobId: string, query: ResultQuery): Promise<number> {
    this.#assertOpen();
    return this.#jobs.queueForMigration(jobId, query, Date.now());
  }

  async claimRemoval(request: RemovalClaimRequest): Promise<string> {
    this.#assertOpen();
    return this.#removals.claim(request);
  }

  async releaseRemoval(id: string): Promise<void> {
    this.#assertOpen();
    await this.#removals.release(id);
  }

  async removalClaimed(targetId: string, key: string, options: { readonly now?: number } = {}): Promise<boolean> {
    this.#assertOpen();
    return this.#removals.claimed(targetId, key, options.now ?? Date.now());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ownPool?.end();
  }

  async #one(text: string, values: readonly unknown[]): Promise<ResultRecord | undefined> {
    this.#assertOpen();
    const { rows } = await this.#db.query<RecordRow>(text, values);
    return rows[0] ? recordFromRow(rows[0]) : undefined;
  }

  async #oneOn(tx: Queryable, text: string, values: readonly unknown[]): Promise<ResultRecord | undefined> {
    const { rows } = await tx.query<RecordRow>(text, values);
    return rows[0] ? recordFromRow(rows[0]) : undefined;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new StorageError(ErrorCode.Unsupported, `postgres catalog (schema "${this.schema}") was closed`);
    }
  }
}
