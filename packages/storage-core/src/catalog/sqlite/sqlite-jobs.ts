/**
 * The jobs table of the SQLite catalog: migrations and reconciles kept as
 * rows, changed by compare-and-set on their version, claimed under a lease.
 */
import { randomUUID } from 'node:crypto';
import type { SQLInputValue } from 'node:sqlite';
import { applyJobChanges } from '../apply-changes.js';
import { JOB_COLUMNS, type JobColumns, jobColumnValues, jobFromColumns } from '../columns.js';
import { jobToCreate } from '../new-record.js';
import { jobChangeProblems, newJobProblems, refuseProblems } from '../record-problems.js';
import type { CatalogJob, JobChanges, JobKind, JobState, ResultQuery } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { sqliteValue, whereClause } from './rows.js';

/** A row of `jobs`: JSON columns as text. */
type JobRow = Omit<JobColumns, 'params' | 'progress'> & { params: string; progress: string };

function jobFromRow(row: JobRow): CatalogJob {
  return jobFromColumns({ ...row, params: JSON.parse(row.params), progress: JSON.parse(row.progress) });
}

function jobValues(job: CatalogJob): SQLInputValue[] {
  return jobColumnValues(job).map(sqliteValue);
}

const JOB_COLUMN_LIST = JOB_COLUMNS.join(', ');

/** Jobs on one SQLite database. */
export class SqliteJobs {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  create(input: { kind: JobKind; params: Readonly<Record<string, unknown>>; now?: number }): CatalogJob {
    refuseProblems('catalog job', newJobProblems(input));
    const job = jobToCreate(input, randomUUID());
    this.#db.transaction(() =>
      this.#db.run(
        `INSERT INTO jobs (id, ${JOB_COLUMN_LIST}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        job.id,
        ...jobValues(job),
      ),
    );
    return job;
  }

  get(id: string): CatalogJob | undefined {
    const row = this.#db.one<JobRow>('SELECT * FROM jobs WHERE id = ?', id);
    return row ? jobFromRow(row) : undefined;
  }

  list(query: { kind?: JobKind; state?: JobState | readonly JobState[] } = {}): CatalogJob[] {
    const parts: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.kind) {
      parts.push('kind = ?');
      params.push(query.kind);
    }
    if (query.state !== undefined) {
      const states = typeof query.state === 'string' ? [query.state] : [...query.state];
      parts.push(states.length === 0 ? '0' : `state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    const where = parts.length > 0 ? parts.join(' AND ') : '1';
    return this.#db
      .all<JobRow>(`SELECT * FROM jobs WHERE ${where} ORDER BY created_at DESC, id DESC`, ...params)
      .map(jobFromRow);
  }

  update(id: string, expectedVersion: number, changes: JobChanges, now: number): CatalogJob | undefined {
    refuseProblems('catalog job change', jobChangeProblems(changes));
    return this.#db.transaction(() => {
      const current = this.get(id);
      if (!current || current.version !== expectedVersion) return undefined;
      const next = applyJobChanges(current, changes, now);
      this.#db.run(
        `UPDATE jobs SET ${JOB_COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`,
        ...jobValues(next),
        id,
      );
      return next;
    });
  }

  claim(request: { kind: JobKind; owner: string; leaseMs: number; now?: number }): CatalogJob | undefined {
    const now = request.now ?? Date.now();
    return this.#db.transaction(() => {
      const row = this.#db.one<JobRow>(
        `SELECT * FROM jobs WHERE kind = ? AND (state = 'queued' OR (state = 'running' AND coalesce(lease_until, 0) <= ?))
         ORDER BY created_at, id LIMIT 1`,
        request.kind,
        now,
      );
      if (!row) return undefined;
      const next = applyJobChanges(
        jobFromRow(row),
        { state: 'running', owner: request.owner, leaseUntil: now + request.leaseMs },
        now,
      );
      this.#db.run(
        'UPDATE jobs SET state = ?, owner = ?, lease_until = ?, version = ?, updated_at = ? WHERE id = ?',
        next.state,
        next.owner ?? null,
        next.leaseUntil ?? null,
        next.version,
        now,
        next.id,
      );
      return next;
    });
  }

  queueForMigration(jobId: string, query: ResultQuery, now: number): number {
    const { sql, params } = whereClause(query);
    return this.#db.transaction(() =>
      this.#db.run(
        `UPDATE results AS r SET migration_id = ?, version = version + 1, updated_at = ?
         WHERE ${sql} AND r.state <> 'deleted' AND r.intent IS NULL AND r.migration_id IS NULL`,
        jobId,
        now,
        ...params,
      ),
    );
  }
}
