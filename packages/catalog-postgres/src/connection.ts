/**
 * Queries and transactions on the catalog's pool: every query with the
 * catalog's type parsers, every error through `toStorageError`, and write
 * transactions retried when a concurrent commit beat them to a unique index
 * (or a deadlock or serialization failure ended them), so the retry's own
 * checks see the winner and answer with the catalog's precise words.
 */
import type pg from 'pg';
import { errorCodeOf, RETRY_SQLSTATES, type ServerDescription, toStorageError } from './pg-errors.js';
import { CATALOG_TYPES } from './rows.js';

/** How many times a write transaction runs at most. */
const WRITE_ATTEMPTS = 4;

/** Something to run queries on: the pool, or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

/** The catalog's connection to Postgres. */
export class Connection {
  readonly #pool: pg.Pool;
  readonly #server: ServerDescription;

  constructor(pool: pg.Pool, server: ServerDescription) {
    this.#pool = pool;
    this.#server = server;
  }

  /** One statement on any pooled connection (atomic on its own). */
  async query<R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>({ text, values: [...values], types: CATALOG_TYPES });
    } catch (error) {
      throw toStorageError(error, this.#server);
    }
  }

  /**
   * Runs `work` in one transaction on one connection and commits; rolls back
   * on any error. `retry` transactions run again (up to WRITE_ATTEMPTS) when a
   * unique index refused a row (another record's, or a concurrent
   * transaction's), a deadlock or a serialization check; `work` must then be
   * safe to run again (it is: it rolled back), and is told which run it is.
   */
  async transaction<T>(
    work: (client: Queryable, attempt: number) => Promise<T>,
    options: { readonly begin?: string; readonly retry?: boolean } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw toStorageError(error, this.#server);
      }
      let broken: Error | undefined;
      const queryable: Queryable = {
        query: <R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) =>
          client.query<R>({ text, values: [...values], types: CATALOG_TYPES }),
      };
      try {
        await client.query(options.begin ?? 'BEGIN');
        const value = await work(queryable, attempt);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        const code = errorCodeOf(error);
        if (options.retry && !broken && attempt < WRITE_ATTEMPTS && code !== undefined && RETRY_SQLSTATES.has(code)) {
          continue;
        }
        throw toStorageError(error, this.#server);
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: the pool discards it.
        client.release(broken);
      }
    }
  }

  /** A client for the caller to run its own transaction on (migrations); the caller releases it. */
  async connect(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw toStorageError(error, this.#server);
    }
  }

  /** `error` as the catalog's StorageError. */
  fail(error: unknown): Error {
    return toStorageError(error, this.#server);
  }
}
