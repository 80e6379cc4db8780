import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../catalog/types.js';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { attemptId, type CatalogSuiteContext, newRecord } from './context.js';

/** Compare-and-set updates: one writer wins per version, one commit per change. */
export function describeUpdates(ctx: CatalogSuiteContext): void {
  describe('compare-and-set updates', () => {
    it('applies a change at the expected version, bumps the version and keeps what was not changed', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('update')}a.png`;
      const record = await catalog.insert(newRecord(path, { metadata: { a: '1' }, now: 1_000 }));
      const updated = await catalog.update(
        record.id,
        record.version,
        { state: 'pending', attempts: 1, dueAt: 5_000, lastError: { code: 'UNAVAILABLE', message: 'down', at: 2_000 } },
        { now: 2_000 },
      );
      expect(updated).toMatchObject({
        id: record.id,
        path,
        state: 'pending',
        attempts: 1,
        dueAt: 5_000,
        lastError: { code: 'UNAVAILABLE', message: 'down', at: 2_000 },
        metadata: { a: '1' },
        version: record.version + 1,
        createdAt: 1_000,
        updatedAt: 2_000,
      });
      expect(await catalog.get(record.id)).toEqual(updated);
    });

    it('answers undefined and changes nothing when the version moved on', async () => {
      const catalog = ctx.catalog();
      const record = await catalog.insert(newRecord(`${ctx.scope('stale')}a.png`));
      const first = await catalog.update(record.id, record.version, { state: 'pending' });
      expect(first).toBeDefined();
      expect(await catalog.update(record.id, record.version, { state: 'blocked' })).toBeUndefined();
      expect((await catalog.get(record.id))?.state).toBe('pending');
      expect(await catalog.update('no-such-id', 1, { state: 'blocked' })).toBeUndefined();
    });

    it('clears optional fields with null', async () => {
      const catalog = ctx.catalog();
      const record = await catalog.insert(
        newRecord(`${ctx.scope('clear')}a.png`, {
          state: 'pending',
          dueAt: 10,
          lastError: { code: 'TIMEOUT', message: 'slow', at: 5 },
          migrationId: 'm1',
        }),
      );
      const cleared = await catalog.update(record.id, record.version, {
        dueAt: null,
        lastError: null,
        migrationId: null,
      });
      expect(cleared?.dueAt).toBeUndefined();
      expect(cleared?.lastError).toBeUndefined();
      expect(cleared?.migrationId).toBeUndefined();
    });

    it('moves a record to another target with new keys and new locations in one commit', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('move');
      const path = `${scope}x.png`;
      const record = await catalog.insert(
        newRecord(path, {
          files: [
            { name: '', path, key: path, size: 10, sha256: undefined, contentType: 'image/png' },
            {
              name: 'thumb',
              path: `${scope}x-t.webp`,
              key: `${scope}x-t.webp`,
              size: 2,
              sha256: undefined,
              contentType: undefined,
            },
          ],
        }),
      );
      const moved = await catalog.update(
        record.id,
        record.version,
        {
          state: 'offloaded',
          targetId: 'r2.1',
          localCopy: false,
          files: record.files.map((file) => ({ ...file, key: `media/${file.key}` })),
        },
        { addLocations: [`r2:media/${path}`] },
      );
      expect(moved).toMatchObject({ state: 'offloaded', targetId: 'r2.1', key: `media/${path}`, localCopy: false });
      expect(moved?.location).toBe(`local:${path}`);
      expect((await catalog.resolve(`local:${path}`))?.id).toBe(record.id);
      expect((await catalog.resolve(`r2:media/${path}`))?.id).toBe(record.id);
      expect(await catalog.locationsOf(record.id)).toEqual([`local:${path}`, `r2:media/${path}`]);
      const keys: string[] = [];
      for await (const entry of catalog.listFiles('r2.1', { keyPrefix: `media/${scope}` })) keys.push(entry.key);
      // UTF-8 byte order: "-" (0x2d) sorts before "." (0x2e).
      expect(keys).toEqual([`media/${scope}x-t.webp`, `media/${path}`]);
      for await (const entry of catalog.listFiles('local', { keyPrefix: scope }))
        expect.fail(`still listed in local: ${entry.key}`);
    });

    it('refuses a change whose key is taken in the target, and keeps the record as it was', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('move-taken');
      await catalog.insert(
        newRecord(`${scope}a.png`, { targetId: 'r2.1', key: `${scope}same.png`, state: 'offloaded' }),
      );
      const other = await catalog.insert(newRecord(`${scope}b.png`));
      await expectStorageError(
        catalog.update(other.id, other.version, {
          targetId: 'r2.1',
          files: [{ ...(other.files[0] as (typeof other.files)[number]), key: `${scope}same.png` }],
        }),
        ErrorCode.PreconditionFailed,
      );
      expect(await catalog.get(other.id)).toEqual(other);
    });

    it('refuses to bring a deleted record back to a path that a live record holds, naming the path', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('revive-taken')}a.png`;
      const old = await catalog.insert(newRecord(path));
      const tombstone = (await catalog.update(old.id, old.version, { state: 'deleted' })) as typeof old;
      const live = await catalog.insert(newRecord(path, { location: `s3:${path}` }));
      const error = await expectStorageError(
        catalog.update(tombstone.id, tombstone.version, { state: 'pending' }),
        ErrorCode.PreconditionFailed,
      );
      expect(error.message).toContain(path);
      expect(await catalog.get(tombstone.id)).toEqual(tombstone);
      expect(await catalog.findByPath(path)).toEqual(live);
    });

    it('refuses to point a location at this record when it points to another live one', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('alias-taken');
      const a = await catalog.insert(newRecord(`${scope}a.png`));
      const b = await catalog.insert(newRecord(`${scope}b.png`));
      await expectStorageError(
        catalog.update(b.id, b.version, { state: 'pending' }, { addLocations: [a.location] }),
        ErrorCode.PreconditionFailed,
      );
      expect((await catalog.get(b.id))?.state).toBe('local');
      expect((await catalog.resolve(a.location))?.id).toBe(a.id);
    });

    it('refuses a change that would move the original away from the record path', async () => {
      const catalog = ctx.catalog();
      const record = await catalog.insert(newRecord(`${ctx.scope('path-fixed')}a.png`));
      await expectStorageError(
        catalog.update(record.id, record.version, {
          files: [
            {
              name: '',
              path: 'elsewhere.png',
              key: 'elsewhere.png',
              size: 1,
              sha256: undefined,
              contentType: undefined,
            },
          ],
        }),
        ErrorCode.InvalidInput,
      );
    });

    it('builds on what another connection committed, never on what this one wrote before it', async () => {
      const catalog = ctx.catalog();
      const second = await ctx.another(catalog);
      const record = await catalog.insert(newRecord(`${ctx.scope('other-writer')}a.png`, { metadata: { a: '1' } }));
      const written = await catalog.update(record.id, record.version, { state: 'pending', attempts: 1 });
      const theirs = await second.update(record.id, (written as ResultRecord).version, {
        metadata: { b: '2' },
        attempts: 2,
      });
      expect(await catalog.update(record.id, (written as ResultRecord).version, { state: 'blocked' })).toBeUndefined();
      const mine = await catalog.update(record.id, (theirs as ResultRecord).version, { state: 'blocked' });
      expect(mine).toMatchObject({ state: 'blocked', attempts: 2, metadata: { b: '2' } });
      expect(await second.get(record.id)).toEqual(mine);
    });

    it('keeps a renewed lease through a later change that does not touch the intent', async () => {
      const catalog = ctx.catalog();
      const attempt = attemptId();
      const record = await catalog.insert(
        newRecord(`${ctx.scope('renewed')}a.png`, {
          state: 'pending',
          intent: { kind: 'offload', attemptId: attempt, owner: 'w', startedAt: 1, leaseUntil: 1_000 },
        }),
      );
      expect(await catalog.renewLease(record.id, attempt, 50_000)).toBe(true);
      const updated = await catalog.update(record.id, record.version, { attempts: 1 });
      expect(updated?.intent?.leaseUntil).toBe(50_000);
      expect((await catalog.get(record.id))?.intent?.leaseUntil).toBe(50_000);
    });

    it('lets exactly one of many racing writers on two connections win each version', async () => {
      const catalog = ctx.catalog();
      const second = await ctx.another(catalog);
      const record = await catalog.insert(newRecord(`${ctx.scope('race')}a.png`));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? catalog : second).update(record.id, record.version, {
            intent: { kind: 'offload', attemptId: attemptId(), owner: `writer-${i}`, startedAt: 1, leaseUntil: 2 },
          }),
        ),
      );
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect((await second.get(record.id))?.intent?.owner).toBe(winners[0]?.intent?.owner);
    });
  });
}
