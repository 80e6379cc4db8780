/**
 * The catalogs a test runs a storage on: the default SQLite file beside the
 * settings file, or Postgres with a schema of its own for every storage, so
 * two storages of one test know nothing of each other's records, as with
 * SQLite. The schemas are dropped after the test.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openPostgresCatalog, type PostgresCatalog } from '../../packages/catalog-postgres/src/index.js';
import type { Catalog } from '../../packages/storage-core/src/index.js';

export type CatalogKind = 'sqlite' | 'postgres';

/** Both kinds, for `describe.each`. */
export const CATALOG_KINDS: readonly CatalogKind[] = ['sqlite', 'postgres'];

/** Opens the catalogs of one test's storages and removes the Postgres ones after it. */
export interface TestCatalogs {
  /** `createStorage()` options for the next storage: none for SQLite (its default), a catalog on a new schema for Postgres. */
  next(): Promise<{ readonly catalog?: Catalog }>;
  /** The Postgres schema of `catalog` (one `next()` opened), for a child process to open the same catalog. */
  schemaOf(catalog: Catalog | undefined): string | undefined;
  /** Closes the Postgres catalogs opened (storages do not close catalogs they were given) and drops their schemas. */
  dropAll(): Promise<void>;
}

/** The catalogs of `kind`; `postgresUrl` is the test server's (`inject('postgres').url`). */
export function testCatalogs(kind: CatalogKind, postgresUrl: string): TestCatalogs {
  const opened: { catalog: PostgresCatalog; schema: string }[] = [];
  return {
    async next() {
      if (kind === 'sqlite') return {};
      const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const catalog = await openPostgresCatalog({ connectionString: postgresUrl, schema, maxConnections: 4 });
      opened.push({ catalog, schema });
      return { catalog };
    },
    schemaOf(catalog) {
      return opened.find((entry) => entry.catalog === catalog)?.schema;
    },
    async dropAll() {
      const all = opened.splice(0);
      if (all.length === 0) return;
      await Promise.all(all.map(({ catalog }) => catalog.close()));
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      try {
        for (const { schema } of all) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
