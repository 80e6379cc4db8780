import { describe, expect, it } from 'vitest';
import type { Catalog, CatalogFileEntry, ResultQuery, ResultRecord } from '../../catalog/types.js';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { type CatalogSuiteContext, newRecord } from './context.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function paths(records: readonly ResultRecord[]): string[] {
  return records.map((record) => record.path).sort();
}

/** Listings and counts: filters, transparent paging, key order. */
export function describeListing(ctx: CatalogSuiteContext): void {
  describe('listings and counts', () => {
    it('filters by state, target, path prefix, migration and intent, and counts the bytes of every file', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('filters');
      await catalog.insert(newRecord(`${scope}a.png`, { state: 'pending' }));
      await catalog.insert(newRecord(`${scope}b.png`, { state: 'offloaded', targetId: 'r2.1', migrationId: 'm' }));
      await catalog.insert(
        newRecord(`${scope}sub/c.png`, {
          state: 'offloaded',
          targetId: 'r2.2',
          intent: { kind: 'migrate', attemptId: 'x', owner: 'o', startedAt: 1, leaseUntil: 2 },
        }),
      );
      const query = (extra: ResultQuery) => collect(catalog.list({ pathPrefix: scope, ...extra }));
      expect(paths(await query({}))).toEqual([`${scope}a.png`, `${scope}b.png`, `${scope}sub/c.png`]);
      expect(paths(await query({ state: 'pending' }))).toEqual([`${scope}a.png`]);
      expect(paths(await query({ state: ['pending', 'offloaded'], targetId: 'r2.1' }))).toEqual([`${scope}b.png`]);
      expect(paths(await query({ targetId: ['r2.1', 'r2.2'] }))).toEqual([`${scope}b.png`, `${scope}sub/c.png`]);
      expect(paths(await query({ pathPrefix: `${scope}sub/` }))).toEqual([`${scope}sub/c.png`]);
      expect(paths(await query({ migrationId: 'm' }))).toEqual([`${scope}b.png`]);
      expect(paths(await query({ migrationId: null }))).toEqual([`${scope}a.png`, `${scope}sub/c.png`]);
      expect(paths(await query({ hasIntent: true }))).toEqual([`${scope}sub/c.png`]);
      expect(paths(await query({ hasIntent: false }))).toEqual([`${scope}a.png`, `${scope}b.png`]);
      expect(paths(await query({ state: [] }))).toEqual([]);
      expect(await catalog.count({ pathPrefix: scope, targetId: ['r2.1', 'r2.2'] })).toEqual({
        results: 2,
        bytes: 200,
      });
    });

    it('treats "%" and "_" in a path prefix as plain characters', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('wildcards');
      await catalog.insert(newRecord(`${scope}100%_done/a.png`));
      await catalog.insert(newRecord(`${scope}100xydone/b.png`));
      expect(paths(await collect(catalog.list({ pathPrefix: `${scope}100%_` })))).toEqual([`${scope}100%_done/a.png`]);
    });

    it('pages through more records than a page holds, each exactly once', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('paging');
      const expected: string[] = [];
      for (let i = 0; i < 257; i++) {
        const path = `${scope}${String(i).padStart(4, '0')}.png`;
        expected.push(path);
        await catalog.insert(newRecord(path, { state: 'pending' }));
      }
      const listed = await collect(catalog.list({ pathPrefix: scope, pageSize: 50 }));
      expect(paths(listed)).toEqual(expected);
      expect(new Set(listed.map((record) => record.id)).size).toBe(257);
    });

    it('lists the live files of a target in UTF-8 byte order (the order S3 lists in), variants included', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('files');
      const target = `t-${scope.slice(0, -1)}.1`;
      // UTF-16 order would put "\u{1F600}" (surrogates, 0xD83D) before "\uFFFD"; UTF-8 puts it after.
      const names = ['b.png', 'a.png', 'é.png', '\uFFFD.png', '\u{1F600}.png', 'A.png'];
      for (const name of names) {
        const path = `${scope}${name}`;
        await catalog.insert(
          newRecord(path, {
            targetId: target,
            state: 'offloaded',
            files: [
              { name: '', path, key: path, size: 1, sha256: undefined, contentType: undefined },
              {
                name: 'small',
                path: `${path}.small`,
                key: `${path}.small`,
                size: 2,
                sha256: undefined,
                contentType: undefined,
              },
            ],
          }),
        );
      }
      const gone = await catalog.insert(newRecord(`${scope}deleted.png`, { targetId: target, state: 'offloaded' }));
      await catalog.update(gone.id, gone.version, { state: 'deleted' });
      const entries: CatalogFileEntry[] = await collect(catalog.listFiles(target, { pageSize: 4 }));
      const keys = entries.map((entry) => entry.key);
      const expected = names
        .flatMap((name) => [`${scope}${name}`, `${scope}${name}.small`])
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(keys).toEqual(expected);
      for (const entry of entries) {
        expect(entry.record.targetId).toBe(target);
        expect(entry.file.key).toBe(entry.key);
        expect(entry.key.endsWith('.small') ? entry.file.name : '').toBe(entry.key.endsWith('.small') ? 'small' : '');
      }
      expect(await collect(catalog.listFiles(target, { keyPrefix: `${scope}é` }))).toHaveLength(2);
    });

    it('lists the files of live records by path in UTF-8 byte order, every target and variant, across pages', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('paths');
      const names = ['b.png', 'a.png', 'é.png', '\uFFFD.png', '\u{1F600}.png', 'A.png', 'a-b.png', 'a/b.png'];
      for (const [index, name] of names.entries()) {
        const path = `${scope}${name}`;
        const targetId = index % 2 === 0 ? 'local' : 'r2.1';
        await catalog.insert(
          newRecord(path, {
            targetId,
            state: targetId === 'local' ? 'local' : 'offloaded',
            key: `k/${path}`,
            files: [
              { name: '', path, key: `k/${path}`, size: 1, sha256: undefined, contentType: undefined },
              { name: 't', path: `${path}.t`, key: `k/${path}.t`, size: 2, sha256: undefined, contentType: undefined },
            ],
          }),
        );
      }
      const gone = await catalog.insert(newRecord(`${scope}deleted.png`));
      await catalog.update(gone.id, gone.version, { state: 'deleted' });
      const listed = await collect(catalog.listPaths({ pathPrefix: scope, pageSize: 3 }));
      const expected = names
        .flatMap((name) => [`${scope}${name}`, `${scope}${name}.t`])
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(listed.map((entry) => entry.path)).toEqual(expected);
      for (const entry of listed) {
        expect(entry.name).toBe(entry.path.endsWith('.t') ? 't' : '');
        expect((await catalog.get(entry.resultId))?.files.map((file) => file.path)).toContain(entry.path);
      }
      expect(await collect(catalog.listPaths({ pathPrefix: `${scope}a` }))).toHaveLength(6);
    });

    it('refuses a page size outside 1 to 10,000', async () => {
      await expectStorageError(() => collect(ctx.catalog().list({ pageSize: 0 })), ErrorCode.InvalidInput);
      await expectStorageError(() => collect(ctx.catalog().listPaths({ pageSize: 10_001 })), ErrorCode.InvalidInput);
    });
  });

  describe('stats', () => {
    it('counts records by state and live records and bytes by target, work in flight, and the recent failures of live records by code', async () => {
      const catalog: Catalog = await ctx.fresh();
      const failed = (code: string, at: number) => ({ code, message: `${code} happened`, at });
      await catalog.insert(newRecord('a.png', { state: 'local' }));
      await catalog.insert(newRecord('b.png', { state: 'pending', lastError: failed('UNAVAILABLE', 9_000) }));
      await catalog.insert(newRecord('c.png', { state: 'pending', lastError: failed('UNAVAILABLE', 9_500) }));
      await catalog.insert(newRecord('d.png', { state: 'blocked', lastError: failed('ACCESS_DENIED', 9_900) }));
      await catalog.insert(newRecord('e.png', { state: 'given-up', lastError: failed('TIMEOUT', 1_000) }));
      await catalog.insert(newRecord('f.png', { state: 'offloaded', targetId: 'r2.1' }));
      await catalog.insert(
        newRecord('g.png', {
          state: 'offloaded',
          targetId: 'r2.1',
          intent: { kind: 'migrate', attemptId: 'a', owner: 'o', startedAt: 1, leaseUntil: 20_000 },
        }),
      );
      await catalog.insert(
        newRecord('h.png', {
          state: 'pending',
          intent: { kind: 'offload', attemptId: 'b', owner: 'dead', startedAt: 1, leaseUntil: 5_000 },
        }),
      );
      const gone = await catalog.insert(newRecord('i.png', { state: 'offloaded', targetId: 'r2.2' }));
      await catalog.update(gone.id, gone.version, { state: 'deleted' });
      // A deleted result needs nothing: its last failure is not one to fix now.
      const deletedAfterFailing = await catalog.insert(
        newRecord('j.png', { state: 'pending', lastError: failed('ACCESS_DENIED', 9_950) }),
      );
      await catalog.update(deletedAfterFailing.id, deletedAfterFailing.version, { state: 'deleted' });

      const stats = await catalog.stats({ since: 5_000, now: 10_000 });
      expect(stats.total).toBe(10);
      expect(stats.byState).toEqual({
        local: 1,
        pending: 3,
        blocked: 1,
        offloaded: 2,
        'given-up': 1,
        missing: 0,
        deleted: 2,
      });
      expect(stats.byTarget).toEqual([
        { targetId: 'local', results: 6, bytes: 600 },
        { targetId: 'r2.1', results: 2, bytes: 200 },
      ]);
      expect(stats.inFlight).toBe(1);
      expect(stats.recentFailures).toEqual([
        { code: 'UNAVAILABLE', count: 2 },
        { code: 'ACCESS_DENIED', count: 1 },
      ]);
    });
  });
}
