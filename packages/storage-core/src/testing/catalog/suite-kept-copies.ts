import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CatalogKeptEntry, KeptCopy } from '../../catalog/types.js';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { type CatalogSuiteContext, newRecord } from './context.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A target id no other test uses, so a listing by target sees only this test's rows. */
function targetOf(label: string): string {
  return `${label}.${randomUUID().slice(0, 8)}`;
}

function keys(entries: readonly CatalogKeptEntry[]): string[] {
  return entries.map((entry) => entry.key);
}

/** Kept copies: a migration's source copies the record still owns, stored and listed by target and key. */
export function describeKeptCopies(ctx: CatalogSuiteContext): void {
  describe('kept copies', () => {
    it('round-trips the kept copies of a new record, by target id, and lists none for a record without', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('kept-insert');
      const path = `${scope}a.png`;
      const kept: KeptCopy[] = [
        { targetId: 's3.9', keys: [`${scope}a.png`, `${scope}a-t.webp`] },
        { targetId: 'r2.7', keys: [`${scope}a.png`] },
      ];
      const record = await catalog.insert(
        newRecord(path, { state: 'offloaded', targetId: 'r2.1', localCopy: false, keptCopies: kept }),
      );
      const expected = [kept[1], kept[0]];
      expect(record.keptCopies).toEqual(expected);
      expect((await catalog.get(record.id))?.keptCopies).toEqual(expected);
      expect((await catalog.findByPath(path))?.keptCopies).toEqual(expected);
      expect((await catalog.resolve(record.location))?.keptCopies).toEqual(expected);
      expect((await collect(catalog.list({ pathPrefix: scope })))[0]?.keptCopies).toEqual(expected);
      const plain = await catalog.insert(newRecord(`${scope}b.png`));
      expect(plain.keptCopies).toEqual([]);
      expect((await catalog.get(plain.id))?.keptCopies).toEqual([]);
    });

    it('moves a record and keeps its old copy in one commit, keeps them through other changes, and clears them with []', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('kept-update');
      const path = `${scope}a.png`;
      const record = await catalog.insert(newRecord(path, { state: 'offloaded', targetId: 'r2.1', localCopy: false }));
      const moved = await catalog.update(record.id, record.version, {
        targetId: 's3.1',
        files: [{ ...record.files[0], key: `moved/${path}` } as (typeof record.files)[number]],
        keptCopies: [{ targetId: 'r2.1', keys: [path] }],
      });
      expect(moved).toMatchObject({
        targetId: 's3.1',
        key: `moved/${path}`,
        keptCopies: [{ targetId: 'r2.1', keys: [path] }],
      });
      expect(await catalog.get(record.id)).toEqual(moved);
      const other = await catalog.update(record.id, moved?.version as number, { attempts: 3 });
      expect(other?.keptCopies).toEqual([{ targetId: 'r2.1', keys: [path] }]);
      expect((await catalog.get(record.id))?.keptCopies).toEqual([{ targetId: 'r2.1', keys: [path] }]);
      const changed = await catalog.update(record.id, other?.version as number, {
        keptCopies: [{ targetId: 'r2.2', keys: [`x/${path}`] }],
      });
      expect((await catalog.get(record.id))?.keptCopies).toEqual([{ targetId: 'r2.2', keys: [`x/${path}`] }]);
      const cleared = await catalog.update(record.id, changed?.version as number, { keptCopies: [] });
      expect(cleared?.keptCopies).toEqual([]);
      expect((await catalog.get(record.id))?.keptCopies).toEqual([]);
    });

    it('refuses a kept copy on the results disk, in the record own target, twice in one target, or without keys', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('kept-refused');
      const path = `${scope}a.png`;
      const base = { state: 'offloaded', targetId: 'r2.1', localCopy: false } as const;
      for (const keptCopies of [
        [{ targetId: 'local', keys: [path] }],
        [{ targetId: 'r2.1', keys: [path] }],
        [
          { targetId: 'r2.2', keys: [path] },
          { targetId: 'r2.2', keys: [path] },
        ],
        [{ targetId: 'r2.2', keys: [] }],
      ]) {
        const refused = await expectStorageError(
          catalog.insert(newRecord(path, { ...base, keptCopies })),
          ErrorCode.InvalidInput,
        );
        expect(refused.message).toMatch(/keptCopies/);
      }
      expect(await catalog.findByPath(path)).toBeUndefined();
      const record = await catalog.insert(
        newRecord(path, { ...base, keptCopies: [{ targetId: 'r2.2', keys: [path] }] }),
      );
      // Moving onto the kept copy's target without dropping it would make one copy both served and kept.
      const onto = await expectStorageError(
        catalog.update(record.id, record.version, { targetId: 'r2.2' }),
        ErrorCode.InvalidInput,
      );
      expect(onto.message).toMatch(/keptCopies/);
      const local = await expectStorageError(
        catalog.update(record.id, record.version, { keptCopies: [{ targetId: 'local', keys: [path] }] }),
        ErrorCode.InvalidInput,
      );
      expect(local.message).toMatch(/keptCopies/);
      expect(await catalog.get(record.id)).toEqual(record);
    });

    it('lists the kept keys of a target in UTF-8 byte order across records and pages, with a key prefix, and counts them', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('kept-list');
      const target = targetOf('r2');
      const elsewhere = targetOf('s3');
      const a = await catalog.insert(
        newRecord(`${scope}a.png`, {
          state: 'offloaded',
          targetId: elsewhere,
          localCopy: false,
          keptCopies: [{ targetId: target, keys: ['k/é.png', 'k/z.webp'] }],
        }),
      );
      const b = await catalog.insert(
        newRecord(`${scope}b.png`, {
          state: 'offloaded',
          targetId: elsewhere,
          key: `${scope}b.png`,
          localCopy: false,
          keptCopies: [{ targetId: target, keys: ['k/B.png'] }],
        }),
      );
      // A record served from the target itself is listFiles', not a kept copy.
      await catalog.insert(newRecord(`${scope}c.png`, { state: 'offloaded', targetId: target, key: 'k/c.png' }));
      const expected = ['k/B.png', 'k/z.webp', 'k/é.png'];
      for (const pageSize of [1, 2, 500]) {
        const listed = await collect(catalog.listKeptCopies(target, { pageSize }));
        expect(keys(listed)).toEqual(expected);
        expect(listed.map((entry) => [entry.record.id, entry.position])).toEqual([
          [b.id, 0],
          [a.id, 1],
          [a.id, 0],
        ]);
      }
      expect(keys(await collect(catalog.listKeptCopies(target, { keyPrefix: 'k/z' })))).toEqual(['k/z.webp']);
      expect(keys(await collect(catalog.listKeptCopies(elsewhere)))).toEqual([]);
      expect(await catalog.countKeptCopies(target)).toEqual({ results: 2, keys: 3 });
      expect(await catalog.countKeptCopies(elsewhere)).toEqual({ results: 0, keys: 0 });
    });

    it('leaves the kept copies of a deleted record out of the listing and the count', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('kept-deleted');
      const target = targetOf('r2');
      const record = await catalog.insert(
        newRecord(`${scope}a.png`, {
          state: 'offloaded',
          targetId: 'r2.1',
          localCopy: false,
          keptCopies: [{ targetId: target, keys: ['gone.png'] }],
        }),
      );
      await catalog.update(record.id, record.version, { state: 'deleted' });
      expect(await collect(catalog.listKeptCopies(target))).toEqual([]);
      expect(await catalog.countKeptCopies(target)).toEqual({ results: 0, keys: 0 });
    });
  });
}
