/**
 * One SQLite connection as the catalog uses it: durable pragmas, schema
 * migrations on open, cached prepared statements, and `BEGIN IMMEDIATE`
 * transactions (a writer takes the write lock up front, so two processes
 * never deadlock upgrading a read lock; others wait up to the busy timeout).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { ErrorCode, StorageError } from '../../errors.js';
import { loadSqlite } from './load-sqlite.js';
import { migrate } from './schema.js';

/**
 * How long a group commit collects writes before it commits: with 8 offloads
 * in flight, 3 ms gathered 4-5 writes per commit on the bench machine, against
 * 2 with no wait (the next event-loop turn), for at most 3 ms more per write.
 */
const GROUP_COMMIT_WINDOW_MS = 3;

/** A write waiting for the next group commit. */
interface QueuedWrite {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** An open catalog database file. */
export class SqliteDatabase {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #queued: QueuedWrite[] = [];
  #flushScheduled = false;
  #closed = false;

  /** Opens (creating and upgrading) `file`; MISCONFIGURED when it cannot be used. */
  constructor(file: string, busyTimeoutMs: number) {
    this.file = file;
    const { DatabaseSync } = loadSqlite();
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.#db = new DatabaseSync(file);
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      migrate(this.#db, file);
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError(ErrorCode.Misconfigured, `cannot open catalog ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Runs `work` in one immediate transaction: all of it commits, or none. */
  transaction<T>(work: () => T): T {
    this.#assertOpen();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Runs `work` in an immediate transaction shared with the other writes
   * queued within GROUP_COMMIT_WINDOW_MS (group commit): each in a
   * savepoint of its own, so one that throws rolls back alone, and one COMMIT,
   * one fsync under synchronous=FULL, for all of them. Resolves only once that
   * commit is on disk. The commit blocks the event loop (node:sqlite is
   * synchronous): one per offload step made concurrent offloads wait on each
   * other's fsyncs, half the small-file throughput (bench/README.md).
   */
  grouped<T>(work: () => T): Promise<T> {
    this.#assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setTimeout(() => this.#flush(), GROUP_COMMIT_WINDOW_MS);
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queued.splice(0);
    if (batch.length === 0) return;
    const settled: { ok: boolean; value: unknown }[] = [];
    try {
      this.#assertOpen();
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    try {
      for (const write of batch) settled.push(this.#inSavepoint(write.work));
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, index) => {
      const outcome = settled[index] as { ok: boolean; value: unknown };
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.value);
    });
  }

  #inSavepoint(work: () => unknown): { ok: boolean; value: unknown } {
    this.#db.exec('SAVEPOINT grouped_write');
    try {
      const value = work();
      this.#db.exec('RELEASE grouped_write');
      return { ok: true, value };
    } catch (error) {
      this.#db.exec('ROLLBACK TO grouped_write');
      this.#db.exec('RELEASE grouped_write');
      return { ok: false, value: error };
    }
  }

  /** The first row of `sql`, or undefined. */
  one<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#statement(sql).get(...params) as T | undefined;
  }

  /** Every row of `sql`. */
  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#statement(sql).all(...params) as T[];
  }

  /** Runs `sql`; returns how many rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#statement(sql).run(...params).changes);
  }

  /** Commits the writes still queued, then closes the file. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
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

  #assertOpen(): void {
    if (this.#closed) throw new StorageError(ErrorCode.Unsupported, `catalog ${this.file} was closed`);
  }
}
