/**
 * The catalog as the job queue several app servers share: claims take rows
 * with FOR UPDATE SKIP LOCKED, so three pools claiming at once never hand one
 * record to two owners, every record is claimed once, and a row another
 * server holds is passed over rather than waited for. And the uniqueness
 * rules hold when servers race: one insert wins, the others are refused in
 * the catalog's own words (the loser of a unique index is run again, and its
 * checks see the winner).
 */
import type { Catalog, ClaimRequest, ResultRecord } from '@stowage/storage-core';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openPostgresCatalog, type PostgresCatalog } from '../src/index.js';
import { Admin, uniqueSchema } from './support/postgres.js';
import { localRecord } from './support/records.js';

const { url } = inject('postgres');
const admin = new Admin(url);
const opened: PostgresCatalog[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((catalog) => catalog.close()));
  await admin.end();
});

/** `count` pools on one fresh schema, as `count` app servers. */
async function servers(count: number): Promise<PostgresCatalog[]> {
  const schema = admin.track(uniqueSchema());
  const catalogs: PostgresCatalog[] = [];
  for (let i = 0; i < count; i++) {
    catalogs.push(await openPostgresCatalog({ connectionString: url, schema, maxConnections: 3 }));
  }
  opened.push(...catalogs);
  return catalogs;
}

async function addPending(catalog: Catalog, count: number, dueAt = (i: number) => i): Promise<ResultRecord[]> {
  const records: ResultRecord[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) => {
      const path = `queue/${String(i + j).padStart(4, '0')}.png`;
      return catalog.insert(localRecord(path, { state: 'pending', dueAt: dueAt(i + j) }));
    });
    records.push(...(await Promise.all(batch)));
  }
  return records;
}

/** Claims until nothing is left, on `catalog` as `owner`; every record taken, with its owner. */
async function drain(catalog: Catalog, owner: string, select: ClaimRequest['select'], now: number, taken: string[][]) {
  for (;;) {
    const batch = await catalog.claim({ select, kind: 'offload', owner, leaseMs: 60_000, limit: 4, now });
    if (batch.length === 0) return;
    for (const record of batch) taken.push([record.id, owner, record.intent?.previous?.owner ?? '']);
  }
}

describe('claims shared by several servers', () => {
  it('hands each of 200 records to exactly one of nine claimers on three pools, then each abandoned one to one recoverer', async () => {
    const pools = await servers(3);
    const records = await addPending(pools[0] as Catalog, 200);
    const claimers = Array.from({ length: 9 }, (_, i) => ({ owner: `server${i % 3}-worker${i}`, on: pools[i % 3] }));

    const taken: string[][] = [];
    await Promise.all(claimers.map(({ owner, on }) => drain(on as Catalog, owner, { due: true }, 1_000, taken)));
    expect(taken).toHaveLength(200);
    expect(new Set(taken.map(([id]) => id)).size).toBe(200);
    const ownerOf = new Map(taken.map(([id, owner]) => [id, owner]));
    for (const record of records) {
      expect((await pools[2]?.get(record.id))?.intent?.owner).toBe(ownerOf.get(record.id));
    }
    // Work spread over the servers rather than one pool taking it all.
    expect(new Set(taken.map(([, owner]) => owner?.split('-')[0])).size).toBe(3);

    // Every lease has passed: each abandoned intent goes to one recoverer, with its first owner attached.
    const recovered: string[][] = [];
    await Promise.all(
      claimers.map(({ owner, on }) => drain(on as Catalog, owner, { expired: true }, 120_000, recovered)),
    );
    expect(recovered).toHaveLength(200);
    expect(new Set(recovered.map(([id]) => id)).size).toBe(200);
    for (const [id, , previousOwner] of recovered) expect(previousOwner).toBe(ownerOf.get(id as string));
  });

  it('passes over a record another server holds locked instead of waiting for it (SKIP LOCKED)', async () => {
    const [catalog] = (await servers(1)) as [PostgresCatalog];
    const [first, second, third] = await addPending(catalog, 3);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // Another server, mid-transaction on the record due first.
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${catalog.schema}".results WHERE id = $1 FOR UPDATE`, [first?.id]);
      const claim = () =>
        catalog.claim({ select: { due: true }, kind: 'offload', owner: 'w', leaseMs: 1_000, limit: 10, now: 100 });
      const waited = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5_000).unref());
      const claimed = await Promise.race([claim(), waited]);
      expect(claimed === 'blocked' ? claimed : claimed.map((record) => record.id)).toEqual([second?.id, third?.id]);
      await other.query('COMMIT');
      expect((await claim()).map((record) => record.id)).toEqual([first?.id]);
    } finally {
      await other.end();
    }
  });
});

describe('uniqueness under racing servers', () => {
  it('lets one of many servers inserting one path, key or location win, and refuses the rest in the catalog’s words', async () => {
    const pools = await servers(3);
    const cases = [
      { rule: 'path', make: (i: number) => localRecord('race/same.png', { location: `local:race/same-${i}` }) },
      {
        rule: 'key',
        make: (i: number) =>
          localRecord(`race/key-${i}.png`, {
            targetId: 'r2.1',
            state: 'offloaded',
            key: 'race/shared-key.png',
            location: `r2:race/key-${i}`,
            files: [
              {
                name: '',
                path: `race/key-${i}.png`,
                key: 'race/shared-key.png',
                size: 1,
                sha256: undefined,
                contentType: undefined,
              },
            ],
          }),
      },
      {
        rule: 'location',
        make: (i: number) => localRecord(`race/loc-${i}.png`, { location: 'local:race/shared-location' }),
      },
    ];
    for (const { rule, make } of cases) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) => (pools[i % 3] as Catalog).insert(make(i))),
      );
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won, rule).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        expect(outcome.reason, rule).toMatchObject({ code: 'PRECONDITION_FAILED' });
        expect((outcome.reason as Error).message, rule).toMatch(/^catalog: (path|key|location) "/);
      }
    }
  });
});
