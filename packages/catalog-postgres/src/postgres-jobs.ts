/**
 * The jobs table of the Postgres catalog: migrations and reconciles kept as
 * rows, changed by compare-and-set on their version, claimed under a lease
 * with `FOR UPDATE SKIP LOCKED` like records, so servers asking at once for
 * work each get a different job (or none) without waiting on each other.
 */
import { randomUUID } from 'node:crypto';
import {
  applyJobChanges,
  type CatalogJob,
  JOB_COLUMNS,
  type JobChanges,
  type JobColumns,
  type JobKind,
  type JobState,
  jobChangeProblems,
  jobColumnValues,
  jobFromColumns,
  jobToCreate,
  newJobProblems,
  type ResultQuery,
  refuseProblems,
} from '@stowage/storage-core';
import type { Connection, Queryable } from './connection.js';
import { type Tables, whereClause } from './rows.js';

/** `$n` placeholders for JOB_COLUMNS from `$first`, JSONB ones cast. */
function jobPlaceholders(first: number): string[] {
  return JOB_COLUMNS.map(
    (column, i) => `$${first + i}${column === 'params' || column === 'progress' ? '::jsonb' : ''}`,
  );
}

/** Jobs in one catalog schema. */
export class PostgresJobs {
  readonly #db: Connection;
  readonly #tables: Tables;

  constructor(db: Connection, tables: Tables) {
    this.#db = db;
    this.#tables = tables;
  }

  async create(input: { kind: JobKind; params: Readonly<Record<string, unknown>>; now?: number }): Promise<CatalogJob> {
    refuseProblems('catalog job', newJobProblems(input));
    const job = jobToCreate(input, randomUUID());
    await this.#db.query(
      `INSERT INTO ${this.#tables.jobs} (id, ${JOB_COLUMNS.join(', ')}) VALUES ($1, ${jobPlaceholders(2).join(', ')})`,
      [job.id, ...jobColumnValues(job)],
    );
    return job;
  }

  async get(id: string): Promise<CatalogJob | undefined> {
    const { rows } = await this.#db.query<JobColumns>(`SELECT * FROM ${this.#tables.jobs} WHERE id = $1`, [id]);
    return rows[0] ? jobFromColumns(rows[0]) : undefined;
  }

  async list(query: { kind?: JobKind; state?: JobState | readonly JobState[] } = {}): Promise<CatalogJob[]> {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (query.kind) {
      params.push(query.kind);
      parts.push(`kind = $${params.length}`);
    }
    if (query.state !== undefined) {
      const states = typeof query.state === 'string' ? [query.state] : [...query.state];
      params.push(states);
      parts.push(states.length === 0 ? 'false' : `state = ANY($${params.length}::text[])`);
    }
    const { rows } = await this.#db.query<JobColumns>(
      `SELECT * FROM ${this.#tables.jobs} WHERE ${parts.length > 0 ? parts.join(' AND ') : 'true'}
       ORDER BY created_at DESC, id DESC`,
      params,
    );
    return rows.map(jobFromColumns);
  }

  async update(id: string, expectedVersion: number, changes: JobChanges, now: number): Promise<CatalogJob | undefined> {
    refuseProblems('catalog job change', jobChangeProblems(changes));
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<JobColumns>(`SELECT * FROM ${this.#tables.jobs} WHERE id = $1 FOR UPDATE`, [id]);
      const current = rows[0] ? jobFromColumns(rows[0]) : undefined;
      if (!current || current.version !== expectedVersion) return undefined;
      return this.#write(tx, applyJobChanges(current, changes, now), expectedVersion);
    });
  }

  async claim(request: {
    kind: JobKind;
    owner: string;
    leaseMs: number;
    now?: number;
  }): Promise<CatalogJob | undefined> {
    const now = request.now ?? Date.now();
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<JobColumns>(
        `SELECT * FROM ${this.#tables.jobs}
         WHERE kind = $1 AND (state = 'queued' OR (state = 'running' AND coalesce(lease_until, 0) <= $2::int8))
         ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [request.kind, now],
      );
      if (!rows[0]) return undefined;
      const current = jobFromColumns(rows[0]);
      const next = applyJobChanges(
        current,
        { state: 'running', owner: request.owner, leaseUntil: now + request.leaseMs },
        now,
      );
      return this.#write(tx, next, current.version);
    });
  }

  /** One UPDATE: every matching record without intent or migration is marked, in one commit. */
  async queueForMigration(jobId: string, query: ResultQuery, now: number): Promise<number> {
    const params: unknown[] = [jobId, now];
    const where = whereClause(query, params);
    const { rowCount } = await this.#db.query(
      `UPDATE ${this.#tables.results} r SET migration_id = $1, version = version + 1, updated_at = $2::int8
       WHERE ${where} AND r.state <> 'deleted' AND r.intent IS NULL AND r.migration_id IS NULL`,
      params,
    );
    return rowCount ?? 0;
  }

  async #write(tx: Queryable, job: CatalogJob, expectedVersion: number): Promise<CatalogJob | undefined> {
    const placeholders = jobPlaceholders(2);
    const changed = await tx.query(
      `UPDATE ${this.#tables.jobs} SET ${JOB_COLUMNS.map((column, i) => `${column} = ${placeholders[i]}`).join(', ')}
       WHERE id = $1 AND version = $${JOB_COLUMNS.length + 2}`,
      [job.id, ...jobColumnValues(job), expectedVersion],
    );
    return changed.rowCount === 1 ? job : undefined;
  }
}
