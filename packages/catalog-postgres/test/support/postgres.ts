/**
 * Schemas and databases of the shared test Postgres (`inject('postgres')`),
 * one per test that needs one, removed afterwards: every test works on its
 * own tables without starting a server.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** A schema name no other test uses, e.g. `t_3f2a9c1e4b7d`. */
export function uniqueSchema(label = 't'): string {
  return `${label}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** `url` with the database (path) replaced. */
export function urlForDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

/** `url` with the password replaced. */
export function urlWithPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.href;
}

/** The password of `url`, decoded. */
export function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/** A superuser connection for set-up and inspection, with the things it made dropped on `end()`. */
export class Admin {
  readonly #pool: pg.Pool;
  readonly #schemas = new Set<string>();
  readonly #databases = new Set<string>();
  readonly #roles = new Set<string>();

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2 });
  }

  /** One statement as the superuser. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.#pool.query<R>(text, values)).rows;
  }

  /** Remembers `schema` so `end()` drops it. */
  track(schema: string): string {
    this.#schemas.add(schema);
    return schema;
  }

  /** A new empty database (template0, so any encoding and locale may be given); dropped by `end()`. */
  async createDatabase(options: string): Promise<string> {
    const name = uniqueSchema('db');
    await this.#pool.query(`CREATE DATABASE ${name} TEMPLATE template0 ${options}`);
    this.#databases.add(name);
    return name;
  }

  /** A login role with `password` and no privileges beyond those given; dropped by `end()`. */
  async createRole(password: string): Promise<string> {
    const name = uniqueSchema('role');
    await this.#pool.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    this.#roles.add(name);
    return name;
  }

  /** Drops the schema now. */
  async dropSchema(schema: string): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    this.#schemas.delete(schema);
  }

  /** Drops everything made or tracked, then closes. */
  async end(): Promise<void> {
    for (const schema of [...this.#schemas]) await this.dropSchema(schema);
    for (const database of this.#databases) await this.#pool.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const role of this.#roles) {
      await this.#pool.query(`DROP OWNED BY ${role} CASCADE`);
      await this.#pool.query(`DROP ROLE IF EXISTS ${role}`);
    }
    await this.#pool.end();
  }
}
