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
import { randomUUID } from 'node:crypto';
import {
  applyChanges,
  type Catalog,
  type CatalogFileEntry,
  type CatalogJob,
  type CatalogPathEntry,
  type CatalogStats,
  type ClaimRequest,
  changeProblems,
  claimedIntent,
  claimProblems,
  ErrorCode,
  fileColumnValues,
  type JobChanges,
  type JobKind,
  type JobState,
  keyTakenError,
  listingPageSize,
  locationTakenError,
  type NewResultRecord,
  newRecordProblems,
  pathTakenError,
  RESULT_COLUMNS,
  RESULT_STATES,
  type ResultChanges,
  type ResultFile,
  type ResultQuery,
  type ResultRecord,
  type ResultState,
  recordToInsert,
  refuseProblems,
  resultColumnValues,
  StorageError,
  type UpdateOptions,
} from '@stowage/storage-core';
import { Connection, type Queryable } from './connection.js';
import { type PostgresCatalogOptions, resolvePostgresCatalogOptions } from './options.js';
import { PostgresJobs } from './postgres-jobs.js';
import {
  insertFilesQuery,
  type RecordRow,
  recordFromRow,
  recordSelect,
  resultPlaceholders,
  type Tables,
  tablesIn,
  whereClause,
} from './rows.js';
import { migrate, quoteIdentifier } from './schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A consistent snapshot for reads that take several statements. */
const SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

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
    const client = await connection.connect();
    let failed: unknown;
    try {
      await migrate(client, resolved.schema);
    } catch (error) {
      failed = error;
      throw connection.fail(error);
    } finally {
      client.release(failed instanceof Error ? failed : undefined);
    }
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
    const record = recordToInsert(input, randomUUID());
    return this.#db.transaction(
      async (tx) => {
        if (record.state !== 'deleted') {
          await this.#assertPathFree(tx, record);
          await this.#assertKeysFree(tx, record);
        }
        const pointing = await this.#lockLocation(tx, record.location, record.id);
        await tx.query(
          `INSERT INTO ${this.#tables.results} (${RESULT_COLUMNS.join(', ')}) VALUES (${resultPlaceholders(1).join(', ')})`,
          resultColumnValues(record),
        );
        await this.#writeFiles(tx, record);
        await this.#pointLocation(tx, pointing, record.location, record.id, record.createdAt);
        return record;
      },
      { retry: true },
    );
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
    return this.#db.transaction(
      async (tx) => {
        // The row lock makes the version read here the one the UPDATE below compares.
        const current = await this.#oneOn(tx, `${this.#select} WHERE r.id = $1 FOR UPDATE OF r`, [id]);
        if (!current || current.version !== expectedVersion) return undefined;
        const next = applyChanges(current, changes, now);
        // Most changes touch only the record's own row (an intent taken or cleared, a schedule):
        // its file rows, and so the key rule they carry, stay as they are.
        const filesChange = JSON.stringify(fileColumnValues(next)) !== JSON.stringify(fileColumnValues(current));
        if (next.state !== 'deleted') {
          if (current.state === 'deleted') await this.#assertPathFree(tx, next);
          if (filesChange) await this.#assertKeysFree(tx, next);
        }
        const pointing = [];
        for (const location of locations) pointing.push(await this.#lockLocation(tx, location, id));
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
          await this.#writeFiles(tx, next);
        }
        for (const [i, location] of locations.entries()) {
          await this.#pointLocation(tx, pointing[i] as LocationAction, location, id, now);
        }
        return next;
      },
      { retry: true },
    );
  }

  async claim(request: ClaimRequest): Promise<ResultRecord[]> {
    refuseProblems('catalog claim', claimProblems(request));
    this.#assertOpen();
    const now = request.now ?? Date.now();
    const select = request.select as { due?: true; migrationId?: string; expired?: true };
    let filter: string;
    let param: unknown;
    if (select.expired) {
      filter = 'r.intent IS NOT NULL AND r.lease_until <= $1::int8';
      param = now;
    } else if (select.migrationId !== undefined) {
      filter = "r.migration_id = $1 AND r.state <> 'deleted' AND r.intent IS NULL";
      param = select.migrationId;
    } else {
      filter = "r.state = 'pending' AND coalesce(r.due_at, 0) <= $1::int8 AND r.intent IS NULL";
      param = now;
    }
    return this.#db.transaction(async (tx) => {
      // SKIP LOCKED: rows another server is claiming right now are passed over, not waited for;
      // a row claimed and committed meanwhile is re-checked against the filter and no longer matches.
      const { rows } = await tx.query<RecordRow>(
        `${this.#select} WHERE ${filter} ORDER BY coalesce(r.due_at, 0), r.id LIMIT $2 FOR UPDATE OF r SKIP LOCKED`,
        [param, request.limit],
      );
      const claimed = rows.map((row) => {
        const current = recordFromRow(row);
        const intent = claimedIntent(current, request, randomUUID(), now);
        return { ...current, intent, version: current.version + 1, updatedAt: now };
      });
      if (claimed.length > 0) {
        await tx.query(
          `UPDATE ${this.#tables.results} r SET intent = c.intent, lease_until = c.lease_until, version = c.version, updated_at = $4
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

  async renewLease(id: string, attemptId: string, leaseUntil: number): Promise<boolean> {
    if (!Number.isSafeInteger(leaseUntil)) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        'catalog renewLease: leaseUntil must be a time in epoch milliseconds',
      );
    }
    this.#assertOpen();
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

  async *list(query: ResultQuery = {}): AsyncIterable<ResultRecord> {
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

  async *listFiles(
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

  async *listPaths(
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
           WHERE last_error_at >= $1::int8 GROUP BY last_error_code ORDER BY count DESC, code`,
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ownPool?.end();
  }

  async #assertPathFree(tx: Queryable, record: ResultRecord): Promise<void> {
    const { rows } = await tx.query(
      `SELECT 1 FROM ${this.#tables.results} WHERE path = $1 AND state <> 'deleted' AND id <> $2`,
      [record.path, record.id],
    );
    if (rows.length > 0) throw pathTakenError(record.path);
  }

  /** PRECONDITION_FAILED naming the first file (in file order) whose key another live record uses in the target. */
  async #assertKeysFree(tx: Queryable, record: ResultRecord): Promise<void> {
    const { rows } = await tx.query<{ key: string }>(
      `SELECT key FROM ${this.#tables.files} WHERE target_id = $1 AND key = ANY($2::text[]) AND live AND result_id <> $3`,
      [record.targetId, record.files.map((file) => file.key), record.id],
    );
    const taken = new Set(rows.map((row) => row.key));
    const first = record.files.find((file) => taken.has(file.key));
    if (first) throw keyTakenError(first.key, record.targetId);
  }

  /**
   * Locks `location`'s row (when it exists) and its owner, and says what pointing it at `id`
   * takes; PRECONDITION_FAILED when it points to another live record. The locks keep a
   * concurrent transaction from reassigning the location or reviving its owner meanwhile.
   */
  async #lockLocation(tx: Queryable, location: string, id: string): Promise<LocationAction> {
    const { rows } = await tx.query<{ result_id: string }>(
      `SELECT result_id FROM ${this.#tables.locations} WHERE location = $1 FOR UPDATE`,
      [location],
    );
    const owner = rows[0]?.result_id;
    if (owner === undefined) return 'insert';
    if (owner === id) return 'none';
    const state = await tx.query<{ state: string }>(
      `SELECT state FROM ${this.#tables.results} WHERE id = $1 FOR SHARE`,
      [owner],
    );
    if (state.rows[0]?.state !== 'deleted') throw locationTakenError(location);
    return 'reassign';
  }

  async #pointLocation(tx: Queryable, action: LocationAction, location: string, id: string, now: number) {
    if (action === 'insert') {
      // A plain INSERT: a concurrent insert of the same location fails the primary key and the
      // transaction is retried, when #lockLocation sees the winner.
      await tx.query(`INSERT INTO ${this.#tables.locations} (location, result_id, created_at) VALUES ($1, $2, $3)`, [
        location,
        id,
        now,
      ]);
    } else if (action === 'reassign') {
      await tx.query(`UPDATE ${this.#tables.locations} SET result_id = $2 WHERE location = $1`, [location, id]);
    }
  }

  async #writeFiles(tx: Queryable, record: ResultRecord): Promise<void> {
    const { text, values } = insertFilesQuery(this.#tables, record);
    await tx.query(text, values);
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

/** What pointing a location at a record takes: nothing, a new row, or moving the row from a deleted record. */
type LocationAction = 'none' | 'insert' | 'reassign';
