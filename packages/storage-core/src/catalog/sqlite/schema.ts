/**
 * The SQLite catalog's schema, as numbered migrations applied in order when a
 * catalog opens. A migration is never edited once released: a change is a new
 * number. Opening a file written by a newer Stowage is refused rather than
 * guessed at.
 */
import type { DatabaseSync } from 'node:sqlite';
import { ErrorCode, StorageError } from '../../errors.js';

/** One schema step. */
interface Migration {
  readonly version: number;
  readonly sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE results (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        state TEXT NOT NULL,
        target_id TEXT NOT NULL,
        key TEXT NOT NULL,
        location TEXT NOT NULL,
        metadata TEXT NOT NULL,
        local_copy INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        last_error_code TEXT,
        last_error_message TEXT,
        last_error_at INTEGER,
        due_at INTEGER,
        intent TEXT,
        lease_until INTEGER,
        migration_id TEXT,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX results_live_path ON results(path) WHERE state <> 'deleted';
      CREATE INDEX results_due ON results(state, due_at);
      CREATE INDEX results_target ON results(target_id, state);
      CREATE INDEX results_intent ON results(lease_until) WHERE intent IS NOT NULL;
      CREATE INDEX results_migration ON results(migration_id) WHERE migration_id IS NOT NULL;
      CREATE INDEX results_failures ON results(last_error_at) WHERE last_error_at IS NOT NULL;

      CREATE TABLE result_files (
        result_id TEXT NOT NULL REFERENCES results(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        target_id TEXT NOT NULL,
        key TEXT NOT NULL,
        live INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT,
        content_type TEXT,
        identity TEXT,
        PRIMARY KEY (result_id, name)
      ) STRICT;
      CREATE UNIQUE INDEX result_files_live_key ON result_files(target_id, key) WHERE live = 1;

      CREATE TABLE locations (
        location TEXT PRIMARY KEY,
        result_id TEXT NOT NULL REFERENCES results(id),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX locations_result ON locations(result_id);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        params TEXT NOT NULL,
        progress TEXT NOT NULL,
        owner TEXT,
        lease_until INTEGER,
        last_error_code TEXT,
        last_error_message TEXT,
        last_error_at INTEGER,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX jobs_kind_state ON jobs(kind, state, created_at);
    `,
  },
  {
    version: 3,
    // listPaths: the live files in path order, without sorting the whole table for each page.
    sql: `
      CREATE INDEX result_files_live_path ON result_files(path, result_id, name) WHERE live = 1;
    `,
  },
  {
    version: 4,
    // Migration claims: a job's unclaimed records in claim order, without sorting every queued record.
    sql: `
      CREATE INDEX results_migration_queue ON results(migration_id, coalesce(due_at, 0), id)
        WHERE migration_id IS NOT NULL AND intent IS NULL;
    `,
  },
  {
    version: 5,
    // Kept copies (a migration's source copies left in place): a row per key, so reconcile reads a
    // target's kept keys in key order off the index instead of scanning every record.
    sql: `
      CREATE TABLE kept_copies (
        result_id TEXT NOT NULL REFERENCES results(id),
        target_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (result_id, target_id, position)
      ) STRICT;
      CREATE INDEX kept_copies_target_key ON kept_copies(target_id, key, result_id, position);
    `,
  },
  {
    version: 6,
    // Removal claims: keys about to be removed from a target, which an offload must not adopt meanwhile
    // (catalog/removal-claims.ts). A row per key; a claim's rows share its id.
    sql: `
      CREATE TABLE removal_claims (
        id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        key TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        PRIMARY KEY (id, target_id, key)
      ) STRICT;
      CREATE INDEX removal_claims_key ON removal_claims(target_id, key, lease_until);
    `,
  },
];

/** The newest schema this code knows. */
const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the database to SCHEMA_VERSION inside one immediate transaction, so
 * processes opening the same file at once apply each step exactly once.
 */
export function migrate(db: DatabaseSync, file: string): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
    );
    const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const current = row.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `catalog ${file} has schema version ${current}, written by a newer Stowage; this one knows up to ${SCHEMA_VERSION}. Upgrade Stowage to open it`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      db.exec(step.sql);
      record.run(step.version, Date.now());
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
