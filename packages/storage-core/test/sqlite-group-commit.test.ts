/**
 * The SQLite catalog commits the writes of a few milliseconds together (group
 * commit, catalog/sqlite/database.ts): each write still stands or falls alone,
 * and each resolves only once it is committed, as a second connection to the
 * same file sees.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type NewResultRecord, openSqliteCatalog } from '../src/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function record(path: string): NewResultRecord {
  return {
    path,
    state: 'local',
    targetId: 'local',
    key: path,
    location: `local:${path}`,
    files: [{ name: '', path, key: path, size: 3, sha256: undefined, contentType: 'image/png' }],
    localCopy: true,
  };
}

describe('sqlite catalog group commit', () => {
  it('commits concurrent writes together; one refused write rolls back alone; each is on disk once it resolves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-group-commit-'));
    dirs.push(dir);
    const file = join(dir, 'catalog.sqlite');
    const catalog = await openSqliteCatalog({ file });
    const other = await openSqliteCatalog({ file });
    try {
      // Issued in one turn: the third takes a path the first holds, so only it is refused.
      const writes = [
        catalog.insert(record('a.png')),
        catalog.insert(record('b.png')),
        catalog.insert(record('a.png')),
      ];
      const settled = await Promise.allSettled(writes);
      expect(settled.map((entry) => entry.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.PreconditionFailed });
      for (const entry of settled.slice(0, 2)) {
        const stored = (entry as PromiseFulfilledResult<{ id: string }>).value;
        expect(await other.get(stored.id)).toEqual(stored);
      }
      // An update in the same turn as an insert it does not depend on.
      const first = (settled[0] as PromiseFulfilledResult<{ id: string; version: number }>).value;
      const [updated, inserted] = await Promise.all([
        catalog.update(first.id, first.version, { state: 'pending' }),
        catalog.insert(record('c.png')),
      ]);
      expect(updated?.state).toBe('pending');
      expect((await other.get(first.id))?.state).toBe('pending');
      expect(await other.get(inserted.id)).toEqual(inserted);
    } finally {
      await other.close();
      await catalog.close();
    }
  });

  it('commits writes still queued when the catalog closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-group-commit-'));
    dirs.push(dir);
    const file = join(dir, 'catalog.sqlite');
    const catalog = await openSqliteCatalog({ file });
    const pending = catalog.insert(record('late.png'));
    await catalog.close();
    const stored = await pending;
    const again = await openSqliteCatalog({ file });
    expect(await again.get(stored.id)).toEqual(stored);
    await again.close();
  });
});
