/**
 * Opening the catalog applies the numbered migrations, once, under the
 * advisory lock keyed from the schema name, however many servers open the
 * same fresh schema at once; and it refuses what it cannot serve correctly:
 * a schema from a newer Stowage, a database that is not UTF8.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { migrationLockKey, openPostgresCatalog, type PostgresCatalog, SCHEMA_VERSION } from '../src/index.js';
import { type ChildOpener, startChildOpener } from './support/child-opener.js';
import { Admin, uniqueSchema, urlForDatabase, urlWithPassword } from './support/postgres.js';
import { localRecord } from './support/records.js';

const { url } = inject('postgres');
const admin = new Admin(url);
const opened: PostgresCatalog[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((catalog) => catalog.close()));
});
afterAll(() => admin.end());

async function open(schema: string, connectionString = url): Promise<PostgresCatalog> {
  const catalog = await openPostgresCatalog({ connectionString, schema, maxConnections: 2 });
  opened.push(catalog);
  return catalog;
}

async function appliedVersions(schema: string): Promise<number[]> {
  const rows = await admin.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY 1`);
  return rows.map((row) => row.version);
}

describe('migrations on open', () => {
  it('applies each step exactly once when five pools and two processes open one fresh schema at the same moment', async () => {
    const schema = admin.track(uniqueSchema());
    const children: ChildOpener[] = [0, 1].map((i) => startChildOpener(url, schema, `child-${i}.png`));
    await Promise.all(children.map((child) => child.ready));

    const fromChildren = Promise.all(children.map((child) => child.go()));
    const catalogs = await Promise.all(Array.from({ length: 5 }, () => open(schema)));
    const childAnswers = await fromChildren;

    expect(childAnswers.map((answer) => answer.error)).toEqual([undefined, undefined]);
    expect(await appliedVersions(schema)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    await Promise.all(catalogs.map((catalog, i) => catalog.insert(localRecord(`pool-${i}.png`))));
    // Every opener works on the same tables: each sees all seven records.
    for (const catalog of catalogs) expect(await catalog.count()).toEqual({ results: 7, bytes: 7 });
    for (const answer of childAnswers) expect((await catalogs[0]?.get(answer.id as string))?.path).toMatch(/^child-/);
  });

  it('waits for the migration lock of its schema (and only of its schema) before touching anything', async () => {
    const schema = admin.track(uniqueSchema());
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // A session-level lock on the same key conflicts with the transaction-level one an open takes.
      await holder.query('SELECT pg_advisory_lock($1::int8)', [migrationLockKey(schema)]);
      let done = false;
      const opening = open(schema).finally(() => {
        done = true;
      });
      // Another schema has another key: its open is not held up.
      await open(admin.track(uniqueSchema()));
      await sleep(300);
      expect(done).toBe(false);
      expect(await admin.query(`SELECT to_regnamespace($1) AS schema`, [schema])).toEqual([{ schema: null }]);
      await holder.query('SELECT pg_advisory_unlock($1::int8)', [migrationLockKey(schema)]);
      await opening;
      expect(await appliedVersions(schema)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await holder.end();
    }
  });

  it('keeps every committed record across close and reopen, and applies nothing twice', async () => {
    const schema = admin.track(uniqueSchema());
    const first = await open(schema);
    const record = await first.insert(localRecord('kept.png'));
    await first.close();
    const again = await open(schema);
    expect(await again.get(record.id)).toEqual(record);
    expect(await appliedVersions(schema)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('upgrades a schema an older Stowage left at version 1, step by step, keeping its records', async () => {
    const schema = admin.track(uniqueSchema());
    const old = await open(schema);
    const record = await old.insert(localRecord('from-v1.png'));
    await old.close();
    // What version 1 alone made: no jobs, kept-copies or removal-claims table, no path or migration-queue index,
    // one step recorded.
    await admin.query(`DROP TABLE "${schema}".jobs`);
    await admin.query(`DROP TABLE "${schema}".kept_copies`);
    await admin.query(`DROP TABLE "${schema}".removal_claims`);
    await admin.query(`DROP INDEX "${schema}".result_files_live_path`);
    await admin.query(`DROP INDEX "${schema}".results_migration_queue`);
    await admin.query(`DELETE FROM "${schema}".schema_migrations WHERE version > 1`);

    const upgraded = await open(schema);
    expect(await appliedVersions(schema)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await upgraded.get(record.id)).toEqual(record);
    const job = await upgraded.createJob({ kind: 'migrate', params: { from: 'local' } });
    expect(await upgraded.getJob(job.id)).toEqual(job);
    await upgraded.claimRemoval({ targetId: 'local', keys: ['from-v1.png'], leaseMs: 1_000 });
    expect(await upgraded.removalClaimed('local', 'from-v1.png')).toBe(true);
  });

  it('refuses a schema written by a newer Stowage instead of guessing, and changes nothing', async () => {
    const schema = admin.track(uniqueSchema());
    await open(schema);
    await admin.query(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES (999, 0)`);
    const error = await expectStorageError(() => open(schema), ErrorCode.Misconfigured);
    expect(error.message).toContain('schema version 999');
    expect(error.message).toContain(schema);
    expect(await appliedVersions(schema)).toEqual([...Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1), 999]);
  });

  it('refuses a database that is not UTF8, whose keys could not be stored or ordered as S3 does', async () => {
    const database = await admin.createDatabase("ENCODING 'LATIN1' LOCALE 'C'");
    const error = await expectStorageError(
      () => open(uniqueSchema(), urlForDatabase(url, database)),
      ErrorCode.Misconfigured,
    );
    expect(error.message).toContain('LATIN1');
    expect(error.message).toContain('UTF8');
  });

  it('lists keys in UTF-8 byte order even where the database sorts text by a language (ICU en-US)', async () => {
    const database = await admin.createDatabase("ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
    const databaseUrl = urlForDatabase(url, database);
    const direct = new pg.Client({ connectionString: databaseUrl });
    await direct.connect();
    const byLanguage = await direct.query("SELECT k FROM (VALUES ('a'), ('B'), ('A'), ('b')) v (k) ORDER BY k");
    await direct.end();
    // The database's own order is the language's: the test would pass nothing if it were byte order.
    expect(byLanguage.rows.map((row) => row.k)).toEqual(['a', 'A', 'b', 'B']);

    const catalog = await open(uniqueSchema(), databaseUrl);
    for (const key of ['a.png', 'B.png', 'A.png', 'b.png', 'é.png']) {
      await catalog.insert(localRecord(key, { targetId: 'r2.1', state: 'offloaded' }));
    }
    const keys: string[] = [];
    for await (const entry of catalog.listFiles('r2.1', { pageSize: 2 })) keys.push(entry.key);
    expect(keys).toEqual(['A.png', 'B.png', 'a.png', 'b.png', 'é.png']);
  });

  it('opens an up-to-date schema as a role that may only read and write rows; such a role cannot create one', async () => {
    const schema = admin.track(uniqueSchema());
    await open(schema);
    const password = randomBytes(12).toString('hex');
    const role = await admin.createRole(password);
    await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    const roleUrl = new URL(urlWithPassword(url, password));
    roleUrl.username = role;

    const asApp = await open(schema, roleUrl.href);
    const record = await asApp.insert(localRecord('by-app-role.png'));
    expect((await asApp.get(record.id))?.path).toBe('by-app-role.png');
    await expectStorageError(() => open(uniqueSchema(), roleUrl.href), ErrorCode.AccessDenied);
  });
});
