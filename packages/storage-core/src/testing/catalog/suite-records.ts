import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { type CatalogSuiteContext, newRecord } from './context.js';

/** Inserting, finding and resolving records; what makes a record live and unique. */
export function describeRecords(ctx: CatalogSuiteContext): void {
  describe('records', () => {
    it('inserts a record and reads it back by id, by path and by its location', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('insert')}cat.png`;
      const inserted = await catalog.insert(
        newRecord(path, {
          metadata: { prompt: 'a cat' },
          files: [
            {
              name: '',
              path,
              key: path,
              size: 100,
              sha256: 'a'.repeat(64),
              contentType: 'image/png',
              identity: identity(),
            },
          ],
          now: 1_000,
        }),
      );
      expect(inserted).toMatchObject({
        path,
        state: 'local',
        targetId: 'local',
        key: path,
        location: `local:${path}`,
        metadata: { prompt: 'a cat' },
        localCopy: true,
        attempts: 0,
        version: 1,
        createdAt: 1_000,
        updatedAt: 1_000,
      });
      expect(inserted.id).toMatch(/\S{8,}/);
      expect(inserted.files).toEqual([
        {
          name: '',
          path,
          key: path,
          size: 100,
          sha256: 'a'.repeat(64),
          contentType: 'image/png',
          identity: identity(),
        },
      ]);
      expect(await catalog.get(inserted.id)).toEqual(inserted);
      expect(await catalog.findByPath(path)).toEqual(inserted);
      expect(await catalog.resolve(`local:${path}`)).toEqual(inserted);
      expect(await catalog.locationsOf(inserted.id)).toEqual([`local:${path}`]);
    });

    it('answers undefined for an unknown id, path or location', async () => {
      const catalog = ctx.catalog();
      expect(await catalog.get('no-such-id')).toBeUndefined();
      expect(await catalog.findByPath(`${ctx.scope('unknown')}x.png`)).toBeUndefined();
      expect(await catalog.resolve('r2:never/handed/out.png')).toBeUndefined();
      expect(await catalog.locationsOf('no-such-id')).toEqual([]);
    });

    it('keeps variants in order, the original first', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('variants');
      const files = [
        {
          name: '',
          path: `${scope}x.png`,
          key: `${scope}x.png`,
          size: 10,
          sha256: undefined,
          contentType: 'image/png',
        },
        {
          name: 'w320',
          path: `${scope}x-320.webp`,
          key: `${scope}x-320.webp`,
          size: 3,
          sha256: undefined,
          contentType: 'image/webp',
        },
        {
          name: 'w1024',
          path: `${scope}x-1024.webp`,
          key: `${scope}x-1024.webp`,
          size: 7,
          sha256: undefined,
          contentType: undefined,
        },
      ];
      const inserted = await catalog.insert(newRecord(`${scope}x.png`, { files }));
      expect((await catalog.get(inserted.id))?.files).toEqual(files);
      expect(await catalog.count({ pathPrefix: scope })).toEqual({ results: 1, bytes: 20 });
    });

    it('refuses a malformed record with one INVALID_INPUT naming every problem, storing nothing', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('malformed')}a.png`;
      const error = await expectStorageError(
        catalog.insert({
          ...newRecord(path),
          state: 'sideways' as never,
          targetId: '',
          files: [{ name: 'thumb', path: '../up.png', key: 'k', size: -1, sha256: 'xyz', contentType: undefined }],
        }),
        ErrorCode.InvalidInput,
      );
      for (const field of ['state', 'targetId', 'files[0].path', 'files[0].size', 'files[0].sha256', 'files[0]:']) {
        expect(error.message).toContain(field);
      }
      expect(await catalog.findByPath(path)).toBeUndefined();
    });

    it('allows one live record per path: a second insert is PRECONDITION_FAILED', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('one-per-path')}a.png`;
      const first = await catalog.insert(newRecord(path));
      const error = await expectStorageError(
        catalog.insert(newRecord(path, { location: `local2:${path}` })),
        ErrorCode.PreconditionFailed,
      );
      expect(error.message).toContain(path);
      expect(await catalog.findByPath(path)).toEqual(first);
    });

    it('refuses a file key that another live record already uses in the same target', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('key-taken');
      await catalog.insert(
        newRecord(`${scope}a/x.png`, { targetId: 'r2.1', key: `${scope}x.png`, state: 'offloaded' }),
      );
      const error = await expectStorageError(
        catalog.insert(
          newRecord(`${scope}b/x.png`, { targetId: 'r2.1', key: `${scope}x.png`, location: `r2:${scope}other` }),
        ),
        ErrorCode.PreconditionFailed,
      );
      expect(error.message).toContain(`${scope}x.png`);
      // The same key in another target is another object.
      await catalog.insert(
        newRecord(`${scope}c/x.png`, { targetId: 'r2.2', key: `${scope}x.png`, location: `r2:${scope}c` }),
      );
    });

    it('refuses a location that already points to another live record', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('location-taken');
      await catalog.insert(newRecord(`${scope}a.png`, { location: `s3:${scope}shared` }));
      const error = await expectStorageError(
        catalog.insert(newRecord(`${scope}b.png`, { location: `s3:${scope}shared` })),
        ErrorCode.PreconditionFailed,
      );
      expect(error.message).toContain(`s3:${scope}shared`);
      expect(await catalog.findByPath(`${scope}b.png`)).toBeUndefined();
    });

    it('frees the path, the keys and the location of a deleted record for a new result, and keeps the tombstone', async () => {
      const catalog = ctx.catalog();
      const path = `${ctx.scope('after-delete')}a.png`;
      const old = await catalog.insert(newRecord(path, { targetId: 'r2.1', state: 'offloaded' }));
      const tombstone = await catalog.update(old.id, old.version, { state: 'deleted' });
      expect(tombstone?.state).toBe('deleted');
      expect(await catalog.findByPath(path)).toBeUndefined();
      expect((await catalog.resolve(old.location))?.state).toBe('deleted');

      const again = await catalog.insert(newRecord(path, { targetId: 'r2.1', state: 'offloaded' }));
      expect(again.id).not.toBe(old.id);
      expect(await catalog.findByPath(path)).toEqual(again);
      expect((await catalog.resolve(old.location))?.id).toBe(again.id);
      expect((await catalog.get(old.id))?.state).toBe('deleted');
    });

    it('lets one of many racing inserts on two connections take a path, a key or a location, and words each refusal', async () => {
      const catalog = ctx.catalog();
      const second = await ctx.another(catalog);
      const scope = ctx.scope('insert-race');
      const race = async (make: (i: number) => Parameters<typeof catalog.insert>[0], taken: string) => {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? catalog : second).insert(make(i))),
        );
        const won = results.filter((result) => result.status === 'fulfilled');
        expect(won, `one insert takes ${taken}`).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'fulfilled') continue;
          expect(result.reason).toMatchObject({ code: ErrorCode.PreconditionFailed });
          expect((result.reason as Error).message).toContain(taken);
        }
      };
      const path = `${scope}same-path.png`;
      await race((i) => newRecord(path, { location: `local:${scope}p${i}` }), path);
      const key = `${scope}same-key`;
      await race((i) => newRecord(`${scope}k${i}.png`, { targetId: 'r2.1', key, location: `r2:${scope}k${i}` }), key);
      const location = `s3:${scope}same-location`;
      await race((i) => newRecord(`${scope}l${i}.png`, { location }), location);
    });

    it('stores nothing of an insert that failed a uniqueness rule', async () => {
      const catalog = ctx.catalog();
      const scope = ctx.scope('atomic-insert');
      await catalog.insert(newRecord(`${scope}a.png`, { targetId: 't.1', key: `${scope}k` }));
      await expectStorageError(
        catalog.insert(newRecord(`${scope}b.png`, { targetId: 't.1', key: `${scope}k`, location: `t:${scope}b` })),
        ErrorCode.PreconditionFailed,
      );
      expect(await catalog.findByPath(`${scope}b.png`)).toBeUndefined();
      expect(await catalog.resolve(`t:${scope}b`)).toBeUndefined();
    });
  });
}

function identity() {
  return { dev: 2049, ino: 131077, size: 100, mtimeMs: 1_700_000_000_123.5, ctimeMs: 1_700_000_000_456.25 };
}
