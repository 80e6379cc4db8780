/**
 * The shared Postgres of the integration project (`inject('postgres')`) is a
 * real server: two connections see each other's commits, and nothing before.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const { url } = inject('postgres');
const table = `smoke_${process.pid}_${Date.now()}`;
let first: pg.Client;
let second: pg.Client;

beforeAll(async () => {
  first = new pg.Client({ connectionString: url });
  second = new pg.Client({ connectionString: url });
  await Promise.all([first.connect(), second.connect()]);
  await first.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, who text NOT NULL)`);
});
afterAll(async () => {
  await first?.query(`DROP TABLE IF EXISTS ${table}`);
  await Promise.all([first?.end(), second?.end()]);
});

describe('the Postgres test server', () => {
  it('shows one connection’s commit to the other, and its uncommitted rows to nobody else', async () => {
    await first.query('BEGIN');
    await first.query(`INSERT INTO ${table} VALUES (1, 'first')`);
    expect((await second.query(`SELECT who FROM ${table}`)).rows).toEqual([]);
    await first.query('COMMIT');
    expect((await second.query(`SELECT who FROM ${table}`)).rows).toEqual([{ who: 'first' }]);

    await second.query(`INSERT INTO ${table} VALUES (2, 'second')`);
    expect((await first.query(`SELECT who FROM ${table} ORDER BY id`)).rows).toEqual([
      { who: 'first' },
      { who: 'second' },
    ]);
  });
});
