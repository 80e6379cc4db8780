/**
 * `@stowage/catalog-postgres`: the Stowage catalog on Postgres, for several
 * app servers sharing one record of every result and one work queue.
 */
export {
  DEFAULT_SCHEMA,
  type PostgresCatalogOptions,
  postgresCatalogOptionProblems,
} from './options.js';
export { openPostgresCatalog, PostgresCatalog } from './postgres-catalog.js';
export { migrationLockKey, SCHEMA_VERSION } from './schema.js';
