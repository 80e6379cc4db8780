/**
 * The embedded catalog's write lock held by another connection (the CLI, a
 * second app process, an admin's sqlite3 shell) past the busy timeout: an
 * offload cannot record its intent, so it sends nothing, tells the app the
 * result stayed local with a stable code, and never throws; once the lock is
 * gone the same result offloads.
 */
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSqlite } from '../packages/storage-core/src/catalog/sqlite/load-sqlite.js';
import { ErrorCode, openSqliteCatalog, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { fileSha256, localDefinition, sha256, type Workspace, workspaceForEachTest } from './support/fixture.js';

describe('an offload while another connection holds the catalog’s write lock', () => {
  const ws: Workspace = workspaceForEachTest();
  let storage: Storage;
  let file: string;
  let other: DatabaseSync | undefined;

  beforeEach(async () => {
    file = join(ws.dir, 'catalog.sqlite');
    storage = await ws.open({ catalog: await openSqliteCatalog({ file, busyTimeoutMs: 100 }) });
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', { root: await ws.folder('archive') });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(() => {
    if (other?.isTransaction) other.exec('ROLLBACK');
    other?.close();
    other = undefined;
  });

  it('keeps the result local with UNAVAILABLE, sends nothing, and offloads it once the lock is released', async () => {
    await ws.addResult('images/before.png', 1024);
    expect(await storage.offload({ path: 'images/before.png' })).toMatchObject({ status: 'offloaded' });
    const sha = await ws.addResult('images/locked.png', 2048);
    const { DatabaseSync: Database } = loadSqlite();
    other = new Database(file);
    other.exec('BEGIN IMMEDIATE');

    const outcome = await storage.offload({ path: 'images/locked.png' });

    expect(outcome).toMatchObject({ status: 'local', failedStage: 'record', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.Unavailable);
    expect(outcome.error?.message).toMatch(/another connection held the write lock/);
    expect(await fileSha256(join(ws.resultsRoot, 'images/locked.png'))).toBe(sha);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    expect(await fileSha256(join(ws.dir, 'archive', 'images/locked.png'))).toBeUndefined();

    other.exec('ROLLBACK');
    const again = await storage.offload({ path: 'images/locked.png' });

    expect(again).toMatchObject({ status: 'offloaded', backend: 'archive' });
    expect(await fileSha256(join(ws.dir, 'archive', 'images/locked.png'))).toBe(sha);
    expect(await storage.catalog?.findByPath('images/locked.png')).toMatchObject({ state: 'offloaded' });
  });
});
