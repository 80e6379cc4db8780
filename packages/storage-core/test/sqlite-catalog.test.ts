import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, openSqliteCatalog, type SqliteCatalog } from '../src/index.js';
import { describeCatalogConformance, expectStorageError } from '../src/testing/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-catalog-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeCatalogConformance('sqlite', {
  async createCatalog() {
    return openSqliteCatalog({ file: join(await tempDir(), 'catalog.sqlite') });
  },
  async openAnother(catalog) {
    return openSqliteCatalog({ file: (catalog as SqliteCatalog).file });
  },
});

describe('sqlite catalog file', () => {
  it('keeps every committed record across close and reopen', async () => {
    const file = join(await tempDir(), 'nested', 'catalog.sqlite');
    const first = await openSqliteCatalog({ file });
    const record = await first.insert({
      path: 'a.png',
      state: 'local',
      targetId: 'local',
      key: 'a.png',
      location: 'local:a.png',
      files: [{ name: '', path: 'a.png', key: 'a.png', size: 3, sha256: undefined, contentType: 'image/png' }],
      localCopy: true,
    });
    await first.close();
    const again = await openSqliteCatalog({ file });
    expect(await again.get(record.id)).toEqual(record);
    await again.close();
  });

  it('upgrades a file an older Stowage left at schema version 4: its records read back with no kept copies, removal claims work', async () => {
    const file = join(await tempDir(), 'catalog.sqlite');
    const old = await openSqliteCatalog({ file });
    const record = await old.insert({
      path: 'v4.png',
      state: 'offloaded',
      targetId: 'r2.1',
      key: 'v4.png',
      location: 'r2:v4.png',
      files: [{ name: '', path: 'v4.png', key: 'v4.png', size: 3, sha256: undefined, contentType: 'image/png' }],
      localCopy: false,
    });
    await old.close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(file);
    // What version 4 had: no kept_copies or removal_claims table, steps 1 to 4 recorded.
    db.exec('DROP TABLE kept_copies; DROP TABLE removal_claims; DELETE FROM schema_migrations WHERE version > 4');
    db.close();
    const upgraded = await openSqliteCatalog({ file });
    expect(await upgraded.get(record.id)).toEqual({ ...record, keptCopies: [] });
    const kept = await upgraded.update(record.id, record.version, {
      keptCopies: [{ targetId: 's3.1', keys: ['v4.png'] }],
    });
    expect((await upgraded.get(record.id))?.keptCopies).toEqual(kept?.keptCopies);
    expect(await upgraded.countKeptCopies('s3.1')).toEqual({ results: 1, keys: 1 });
    await upgraded.claimRemoval({ targetId: 's3.1', keys: ['v4.png'], leaseMs: 1_000 });
    expect(await upgraded.removalClaimed('s3.1', 'v4.png')).toBe(true);
    await upgraded.close();
  });

  it('refuses a file written by a newer schema instead of guessing', async () => {
    const file = join(await tempDir(), 'catalog.sqlite');
    (await openSqliteCatalog({ file })).close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(file);
    db.exec('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)');
    db.close();
    const error = await expectStorageError(() => openSqliteCatalog({ file }), ErrorCode.Misconfigured);
    expect(error.message).toContain('schema version 999');
  });

  it('uses a durable journal: WAL with synchronous=FULL', async () => {
    const catalog = await openSqliteCatalog({ file: join(await tempDir(), 'catalog.sqlite') });
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(catalog.file);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
    await catalog.close();
  });

  it('refuses a path that is not a usable file with MISCONFIGURED naming it', async () => {
    const dir = await tempDir();
    const error = await expectStorageError(() => openSqliteCatalog({ file: dir }), ErrorCode.Misconfigured);
    expect(error.message).toContain(dir);
  });

  it('opens without printing an ExperimentalWarning', async () => {
    const file = join(await tempDir(), 'catalog.sqlite');
    const script = `
      const { openSqliteCatalog } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const catalog = await openSqliteCatalog({ file: ${JSON.stringify(file)} });
      await catalog.close();
      console.log('opened');
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('opened');
    expect(run.stderr).toBe('');
  });
});
