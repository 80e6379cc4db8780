/**
 * The Postgres catalog passes the same conformance suite as the SQLite one:
 * a fresh schema per catalog in the shared test server, a second pool on the
 * same schema for the races, the schema dropped afterwards.
 */
import { describeCatalogConformance } from '@stowage/storage-core/testing';
import { afterAll, inject } from 'vitest';
import { openPostgresCatalog, type PostgresCatalog } from '../src/index.js';
import { Admin, uniqueSchema } from './support/postgres.js';

const { url } = inject('postgres');
const admin = new Admin(url);
afterAll(() => admin.end());

describeCatalogConformance('postgres', {
  async createCatalog() {
    return openPostgresCatalog({ connectionString: url, schema: admin.track(uniqueSchema()), maxConnections: 4 });
  },
  async openAnother(catalog) {
    return openPostgresCatalog({
      connectionString: url,
      schema: (catalog as PostgresCatalog).schema,
      maxConnections: 4,
    });
  },
  async destroyCatalog(catalog) {
    await admin.dropSchema((catalog as PostgresCatalog).schema);
  },
});
