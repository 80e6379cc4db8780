/**
 * One SQLite connection as the catalog uses it: durable pragmas, schema
 * migrations on open, cached prepared statements, and `BEGIN IMMEDIATE`
 * transactions (a writer takes the write lock up front, so two processes
 * never deadlock upgrading a read lock; others wait up to the busy timeout).
 *
 * Durability without blocking the event loop: in WAL mode the connection runs
 * `synchronous=NORMAL` (a COMMIT writes its frames to the WAL file but does not
 * fsync it) and this class fdatasyncs the WAL file itself, on libuv's thread
 * pool, before it resolves any write of that commit. A write therefore resolves
 * only once it is on disk, as under `synchronous=FULL`, but the fsync no
 * longer stops every other offload of the process while it runs. Why that is
 * as safe as FULL: docs/architecture.md, "Why node:sqlite".
 */
import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { ErrorCode, StorageError } from '../../errors.js';
import { loadSqlite } from './load-sqlite.js';
import { migrate } from './schema.js';
import { sqliteFailure } from './sqlite-errors.js';

/**
 * How long a group commit collects writes before it commits. With the fsync
 * off the event loop, writes that arrive while one commit is being synced
 * wait for it and share the next commit anyway; the window only gathers the
 * writes of the first moment, so it is short.
 */
const GROUP_COMMIT_WINDOW_MS = 1;

/** A write waiting for the next group commit. */
interface QueuedWrite {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** What each write of a committed batch returned or threw. */
type Settled = readonly { readonly ok: boolean; readonly value: unknown }[];

/** Makes what was written to a file descriptor durable; fs.fdatasync outside tests. */
export type SyncFile = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/** An open catalog database file. */
export class SqliteDatabase {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #queued: QueuedWrite[] = [];
  readonly #sync: SyncFile;
  /** The WAL file, opened to fdatasync it; undefined when the file is not in WAL mode (then FULL syncs each commit). */
  readonly #walFd: number | undefined;
  #flushScheduled = false;
  /** Settles when the commit being synced is on disk; undefined when none is. */
  #syncing: Promise<void> | undefined;
  /** Set when close() begins: no new write is taken, the queued ones are committed. */
  #closing = false;
  #closed = false;

  /**
   * Opens (creating and upgrading) `file`; MISCONFIGURED when it cannot be
   * used. `sync` replaces fs.fdatasync only in tests that hold a sync back.
   */
  constructor(file: string, busyTimeoutMs: number, sync: SyncFile = fdatasync) {
    this.file = file;
    this.#sync = sync;
    const { DatabaseSync } = loadSqlite();
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.#db = new DatabaseSync(file);
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      // Savepoints' sub-journals in memory: on disk each group commit created, wrote and unlinked a temp
      // file (half of the catalog's write syscalls, strace). They only undo a savepoint; durability is the WAL's.
      this.#db.exec('PRAGMA temp_store = MEMORY');
      migrate(this.#db, file);
      this.#walFd = this.#openWalForSync();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError(ErrorCode.Misconfigured, `cannot open catalog ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Runs `work` in one immediate transaction: all of it commits, or none.
   * Synchronous, so its commit is synced before it returns (claims and jobs,
   * a few per worker tick, not per offload).
   */
  transaction<T>(work: () => T): T {
    this.#assertOpen();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.#db.exec('COMMIT');
      this.#syncNow();
      return value;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw sqliteFailure(this.file, error);
    }
  }

  /**
   * Runs `work` in an immediate transaction shared with the other writes
   * queued meanwhile (group commit), one COMMIT and one fdatasync for all of
   * them; one that throws rolls back alone (see #commit). Resolves only once
   * that commit is on disk. Writes that arrive while a commit is being synced
   * wait for it and go into the next commit together, so the writes per
   * commit grow with the load.
   */
  grouped<T>(work: () => T): Promise<T> {
    this.#assertOpen();
    if (this.#closing) return Promise.reject(closedError(this.file));
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#syncing || this.#closing) return;
    this.#flushScheduled = true;
    setTimeout(() => this.#flush(), GROUP_COMMIT_WINDOW_MS);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closing) return; // close() commits what is still queued
    const batch = this.#queued.splice(0);
    const settled = this.#commit(batch);
    if (!settled) return;
    if (this.#walFd === undefined) {
      settle(batch, settled, this.file);
      return;
    }
    this.#syncing = new Promise<void>((done) => {
      this.#sync(this.#walFd as number, (error) => {
        this.#syncing = undefined;
        if (error) rejectAll(batch, notDurable(this.file, error), this.file);
        else settle(batch, settled, this.file);
        done();
        if (this.#queued.length > 0) this.#scheduleFlush();
      });
    });
  }

  /**
   * Commits `batch` in one transaction; undefined (every write rejected) when
   * the transaction itself fails. The writes run straight in the transaction:
   * a savepoint around each would copy every page it touches into SQLite's
   * sub-journal, for nothing unless a write throws, which is rare (a
   * uniqueness rule refused it). When one does, the transaction is rolled
   * back and run again with each write in a savepoint of its own, so that the
   * one rolls back alone.
   */
  #commit(batch: readonly QueuedWrite[]): Settled | undefined {
    if (batch.length === 0) return undefined;
    const straight = this.#inTransaction(batch, () => batch.map((write) => ({ ok: true, value: write.work() })));
    if (straight.kind !== 'threw') return straight.settled;
    if (batch.length === 1) return [{ ok: false, value: straight.error }];
    const isolated = this.#inTransaction(batch, () => batch.map((write) => this.#inSavepoint(write.work)));
    if (isolated.kind !== 'threw') return isolated.settled;
    rejectAll(batch, isolated.error, this.file);
    return undefined;
  }

  /**
   * Runs `body` in an immediate transaction and commits it. `threw` when
   * `body` threw (the transaction rolled back, nothing rejected); `settled`
   * undefined, every write rejected, when BEGIN or COMMIT failed.
   */
  #inTransaction(
    batch: readonly QueuedWrite[],
    body: () => Settled,
  ): { kind: 'done'; settled: Settled | undefined } | { kind: 'threw'; error: unknown } {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      rejectAll(batch, error, this.file);
      return { kind: 'done', settled: undefined };
    }
    let settled: Settled;
    try {
      settled = body();
    } catch (error) {
      // SQLite may have rolled back already (a full disk, an I/O error).
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return { kind: 'threw', error };
    }
    try {
      if (this.#db.isTransaction) this.#db.exec('COMMIT');
      return { kind: 'done', settled };
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      rejectAll(batch, error, this.file);
      return { kind: 'done', settled: undefined };
    }
  }

  #inSavepoint(work: () => unknown): { ok: boolean; value: unknown } {
    this.#statement('SAVEPOINT grouped_write').run();
    try {
      const value = work();
      this.#statement('RELEASE grouped_write').run();
      return { ok: true, value };
    } catch (error) {
      this.#statement('ROLLBACK TO grouped_write').run();
      this.#statement('RELEASE grouped_write').run();
      return { ok: false, value: error };
    }
  }

  /** In WAL mode, opens the WAL file for #sync and lets COMMIT skip its own fsync; otherwise keeps FULL. */
  #openWalForSync(): number | undefined {
    const mode = (this.#db.prepare('PRAGMA journal_mode').get() as { journal_mode?: string } | undefined)?.journal_mode;
    if (mode !== 'wal') return undefined;
    const fd = openSync(`${this.file}-wal`, 'r');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    return fd;
  }

  #syncNow(): void {
    if (this.#walFd !== undefined) fdatasyncSync(this.#walFd);
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

  /** Waits for the commit being synced, commits and syncs the writes still queued, then closes the file. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#syncing;
    const batch = this.#queued.splice(0);
    const settled = this.#commit(batch);
    if (settled) {
      try {
        this.#syncNow();
        settle(batch, settled, this.file);
      } catch (error) {
        rejectAll(batch, notDurable(this.file, error as NodeJS.ErrnoException), this.file);
      }
    }
    this.#closed = true;
    this.#statements.clear();
    if (this.#walFd !== undefined) closeSync(this.#walFd);
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
    if (this.#closed) throw closedError(this.file);
  }
}

function closedError(file: string): StorageError {
  return new StorageError(ErrorCode.Unsupported, `catalog ${file} was closed`);
}

function settle(batch: readonly QueuedWrite[], settled: Settled, file: string): void {
  batch.forEach((write, index) => {
    const outcome = settled[index] as { ok: boolean; value: unknown };
    if (outcome.ok) write.resolve(outcome.value);
    else write.reject(sqliteFailure(file, outcome.value));
  });
}

function rejectAll(batch: readonly QueuedWrite[], error: unknown, file: string): void {
  const failure = sqliteFailure(file, error);
  for (const write of batch) write.reject(failure);
}

/** A commit that is in the file but could not be synced: it may not survive a power loss, so its writes fail. */
function notDurable(file: string, cause: NodeJS.ErrnoException): StorageError {
  return new StorageError(
    ErrorCode.Unknown,
    `catalog ${file}: a commit could not be made durable (${cause.code ?? cause.message}); its writes are reported failed`,
    { cause },
  );
}
