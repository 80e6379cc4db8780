/**
 * The SQLite catalog commits concurrent writes together (group commit,
 * catalog/sqlite/database.ts): each write still stands or falls alone, each
 * resolves only once it is committed, as a second connection to the same
 * file sees, and only once its commit's fdatasync of the WAL file has
 * returned; writes that arrive while one commit is being synced share the
 * next one.
 */
import { fdatasync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDatabase, type SyncFile } from '../src/catalog/sqlite/database.js';
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

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 2) {
    if (waited > 5000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function catalogFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-group-commit-'));
  dirs.push(dir);
  return join(dir, 'catalog.sqlite');
}

describe('sqlite catalog group commit', () => {
  it('resolves a write only after its commit is synced, and commits the writes that waited meanwhile together', async () => {
    const file = await catalogFile();
    // The real fdatasync, held back until the test lets it run.
    const held: (() => void)[] = [];
    const sync: SyncFile = (fd, done) => held.push(() => fdatasync(fd, done));
    const db = new SqliteDatabase(file, 5000, sync);
    const reader = new SqliteDatabase(file, 5000);
    try {
      db.transaction(() => db.run('CREATE TABLE t (x INTEGER)'));
      const rows = () => reader.all<{ x: number }>('SELECT x FROM t ORDER BY x').map((row) => row.x);
      let firstDone = false;
      const first = db
        .grouped(() => db.run('INSERT INTO t VALUES (1)'))
        .then(() => {
          firstDone = true;
        });
      await until(() => held.length === 1);
      expect(rows()).toEqual([1]); // committed, its sync not yet run
      const later = [
        db.grouped(() => db.run('INSERT INTO t VALUES (2)')),
        db.grouped(() => db.run('INSERT INTO t VALUES (3)')),
      ];
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(firstDone).toBe(false);
      expect(held).toHaveLength(1); // nothing more commits while a sync runs
      expect(rows()).toEqual([1]);
      (held.shift() as () => void)();
      await first;
      await until(() => held.length === 1);
      expect(rows()).toEqual([1, 2, 3]); // the two that waited, in one commit
      (held.shift() as () => void)();
      expect(await Promise.all(later)).toEqual([1, 1]);
    } finally {
      await reader.close();
      await db.close();
    }
  });

  it('closes after the sync in flight, committing and syncing the writes that waited, and refuses new ones', async () => {
    const file = await catalogFile();
    const held: (() => void)[] = [];
    const db = new SqliteDatabase(file, 5000, (fd, done) => held.push(() => fdatasync(fd, done)));
    db.transaction(() => db.run('CREATE TABLE t (x INTEGER)'));
    const first = db.grouped(() => db.run('INSERT INTO t VALUES (1)'));
    await until(() => held.length === 1);
    const waiting = db.grouped(() => db.run('INSERT INTO t VALUES (2)'));
    let closed = false;
    const closing = db.close().then(() => {
      closed = true;
    });
    await expect(db.grouped(() => db.run('INSERT INTO t VALUES (3)'))).rejects.toMatchObject({
      code: ErrorCode.Unsupported,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false); // still waiting for the sync in flight
    (held.shift() as () => void)();
    await closing;
    expect(await Promise.all([first, waiting])).toEqual([1, 1]);
    const reader = new SqliteDatabase(file, 5000);
    expect(reader.all<{ x: number }>('SELECT x FROM t ORDER BY x').map((row) => row.x)).toEqual([1, 2]);
    await reader.close();
  });

  it('fails the writes of a commit whose sync fails, naming the cause', async () => {
    const file = await catalogFile();
    const failing: SyncFile = (_fd, done) => done(Object.assign(new Error('input/output error'), { code: 'EIO' }));
    const db = new SqliteDatabase(file, 5000, failing);
    try {
      db.transaction(() => db.run('CREATE TABLE t (x INTEGER)'));
      await expect(db.grouped(() => db.run('INSERT INTO t VALUES (1)'))).rejects.toMatchObject({
        code: ErrorCode.Unknown,
        message: expect.stringContaining('a commit could not be made durable (EIO)'),
      });
    } finally {
      await db.close();
    }
  });

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
