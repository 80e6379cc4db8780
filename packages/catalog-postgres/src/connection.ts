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
      const outcome = await this.withClient(async (client) => {
        const queryable: Queryable = {
          query: <R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) =>
            client.query<R>({ text, values: [...values], types: CATALOG_TYPES }),
        };
        try {
          await client.query(options.begin ?? 'BEGIN');
          const value = await work(queryable, attempt);
          await client.query('COMMIT');
          return { kind: 'committed' as const, value };
        } catch (error) {
          let rolledBack = true;
          await client.query('ROLLBACK').catch(() => {
            rolledBack = false;
          });
          // A connection whose ROLLBACK failed is in an unknown state: thrown, so withClient discards it.
          if (!rolledBack) throw error;
          const code = errorCodeOf(error);
          const again = options.retry && attempt < WRITE_ATTEMPTS && code !== undefined && RETRY_SQLSTATES.has(code);
          return { kind: again ? ('again' as const) : ('failed' as const), error };
        }
      });
      if (outcome.kind === 'committed') return outcome.value;
      if (outcome.kind === 'failed') throw toStorageError(outcome.error, this.#server);
    }
  }

  /**
   * Checks a client out of the pool for `work` alone and releases it after,
   * discarded when `work` threw (the connection may be broken or mid-way) or
   * the connection was lost. While checked out, a client has no listener of
   * the pool's: a connection lost mid-query (a server restart, a network cut
   * that also loses a COMMIT's answer) is an 'error' event on the client as
   * well as a failed query, and unheard that event would end the process.
   * Errors are `toStorageError`'s.
   */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toStorageError(error, this.#server);
    }
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost ??= error;
    };
    client.on('error', onError);
    let threw: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      threw = error instanceof Error ? error : new Error(String(error));
      throw toStorageError(error, this.#server);
    } finally {
      const discard = lost ?? threw;
      // A discarded client keeps the listener: a dead connection may still report once more.
      if (!discard) client.off('error', onError);
      client.release(discard);
    }
  }
}
