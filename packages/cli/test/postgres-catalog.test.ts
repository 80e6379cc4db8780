/**
 * The binary with its catalog on a real Postgres: the config names the
 * environment variable that holds the connection string (its password stays
 * out of the file and out of every output), results offloaded by one run are
 * counted by the next, and an unset variable is a config error naming it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type CliWorld, createCliWorld } from './support.js';

describe('stowage on the Postgres catalog', () => {
  const { url } = inject('postgres');
  const schema = `cli_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let world: CliWorld;

  afterAll(async () => {
    await world?.remove();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('keeps the records in the schema the config names, and never shows the connection string', async () => {
    world = await createCliWorld({ catalog: { postgresUrlEnv: 'STOWAGE_TEST_PG_URL', schema } });
    await world.addResult('images/a.png', 1200);
    await world.addResult('images/b.png', 800);
    const env = { STOWAGE_TEST_PG_URL: url };
    const offload = await world.run(['offload', 'images'], { env });
    expect(offload.code).toBe(0);
    const status = await world.json<{
      catalogLocation: Record<string, string>;
      catalog: { total: number; byState: Record<string, number> };
    }>(['status'], { env });
    expect(status.code).toBe(0);
    expect(status.body.catalogLocation).toEqual({ kind: 'postgres', schema });
    expect(status.body.catalog).toMatchObject({ total: 2, byState: { local: 2 } });
    const password = new URL(url).password;
    for (const text of [offload.stdout, offload.stderr, JSON.stringify(status.body), status.stderr]) {
      expect(text).not.toContain(url);
      if (password) expect(text).not.toContain(password);
    }
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".results`);
    await admin.end();
    expect(rows[0].n).toBe(2);

    const unset = await world.run(['status']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('catalog.postgresUrlEnv: the environment variable STOWAGE_TEST_PG_URL is not set');
  });
});
