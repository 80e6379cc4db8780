/**
 * The answer to the offload's outcome COMMIT is lost after Postgres committed
 * it (a proxy drops the CommandComplete and cuts the connection): the app is
 * told the result stayed local, so it must be true that it can be read
 * through the location it was given, that the local copy is still there
 * (delete-local waits for a commit it saw), and that nothing is sent twice:
 * the catalog, which did commit, says offloaded, and the next offload of the
 * same file finishes from that record.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { openPostgresCatalog, type PostgresCatalog } from '../packages/catalog-postgres/src/index.js';
import { ErrorCode, type Storage, type StorageDriver, streamToBuffer } from '../packages/storage-core/src/index.js';
import {
  createWorkspace,
  fileSha256,
  localDefinition,
  sha256,
  type Workspace,
  withOverrides,
} from './support/fixture.js';
import { type CommitCutter, startCommitCutter } from './support/pg-commit-cutter.js';
import { watchProcessErrors } from './support/process-errors.js';

const { url } = inject('postgres');

describe('a lost answer to the outcome COMMIT on the Postgres catalog', () => {
  let ws: Workspace;
  let schema: string;
  let cutter: CommitCutter;
  let catalog: PostgresCatalog;
  let storage: Storage;
  let archiveRoot: string;
  const written: string[] = [];
  /** After each write, the COMMIT answer to lose: 0 the next one (the outcome's), 1 the one after; undefined none. */
  let cutAfterWrite: number | undefined;
  // A connection lost mid-transaction is also an 'error' event on pg's client: unheard, it ends the app's process.
  const processErrors = watchProcessErrors();

  beforeEach(async () => {
    processErrors.clear();
    ws = await createWorkspace();
    schema = `lost_commit_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    cutter = await startCommitCutter(url);
    catalog = await openPostgresCatalog({ connectionString: cutter.url, schema, maxConnections: 4 });
    storage = await ws.open({ catalog });
    archiveRoot = await ws.folder('archive');
    written.length = 0;
    cutAfterWrite = 0;
    // A real local root whose writes, once stored and answered, lose the answer of a COMMIT after them
    // (cutAfterWrite): the first COMMIT after the write records the outcome, the second the local removal.
    storage.registry.register({
      ...localDefinition,
      name: 'archive',
      create(settings: { root: string }) {
        const driver = localDefinition.create(settings) as StorageDriver;
        return withOverrides(driver, {
          write: async (key, body, options) => {
            const result = await driver.write(key, body, options);
            written.push(key);
            if (cutAfterWrite !== undefined) cutter.cutNextCommit(cutAfterWrite);
            return result;
          },
        });
      },
    });
    await storage.registry.saveSettings('archive', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(async () => {
    await storage.close();
    await catalog.close();
    await cutter.close();
    await ws.remove();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  /** The record as Postgres holds it, read on a connection of its own (not through the proxy). */
  async function committedRecord(path: string) {
    const reader = await openPostgresCatalog({ connectionString: url, schema, maxConnections: 1 });
    try {
      return await reader.findByPath(path);
    } finally {
      await reader.close();
    }
  }

  it('reports the result local, keeps its local copy, does not crash the process, and the next offload finishes from the committed record', async () => {
    const sha = await ws.addResult('images/lost.png', 4096);

    const outcome = await storage.offload({ path: 'images/lost.png' });

    expect(cutter.cuts).toBe(1);
    expect(written).toEqual(['images/lost.png']);
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'record', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.Unavailable);
    expect(await fileSha256(join(ws.resultsRoot, 'images/lost.png'))).toBe(sha);
    // Postgres did commit: the record says where the bytes are, and they are there.
    expect(await committedRecord('images/lost.png')).toMatchObject({
      state: 'offloaded',
      targetId: 'archive.1',
      localCopy: true,
      intent: undefined,
    });
    expect(sha256(await readFile(join(archiveRoot, 'images/lost.png')))).toBe(sha);
    // The location the app was given reads the right bytes.
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);

    const again = await storage.offload({ path: 'images/lost.png' });

    expect(again).toMatchObject({ status: 'offloaded', backend: 'archive', localDeleted: true });
    expect(written).toEqual(['images/lost.png']); // not sent a second time
    expect(await fileSha256(join(ws.resultsRoot, 'images/lost.png'))).toBeUndefined();
    for (const location of [outcome.location, again.location]) {
      expect(sha256(await streamToBuffer(await storage.read(location)))).toBe(sha);
    }
    expect(await committedRecord('images/lost.png')).toMatchObject({ state: 'offloaded', localCopy: false });
    expect(processErrors.seen).toEqual([]);
  });

  it('with the intent’s COMMIT answer lost, sends nothing, releases the committed intent for the worker, and does not crash', async () => {
    cutAfterWrite = undefined;
    // A first offload, untouched: recovery, which runs before it, commits too.
    await ws.addResult('images/first.png', 1024);
    expect(await storage.offload({ path: 'images/first.png' })).toMatchObject({ status: 'offloaded' });
    const sha = await ws.addResult('images/intent.png', 2048);
    cutter.cutNextCommit();

    const outcome = await storage.offload({ path: 'images/intent.png' });

    expect(cutter.cuts).toBe(1);
    expect(written).toEqual(['images/first.png']);
    expect(outcome).toMatchObject({ status: 'local', failedStage: 'record', localDeleted: false });
    expect(outcome.error?.code).toBe(ErrorCode.Unavailable);
    expect(await fileSha256(join(ws.resultsRoot, 'images/intent.png'))).toBe(sha);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    // The intent did commit; it is released as a failed attempt, due for the worker, not held for its lease.
    const record = await committedRecord('images/intent.png');
    expect(record).toMatchObject({
      state: 'pending',
      intent: undefined,
      attempts: 1,
      lastError: { code: 'UNAVAILABLE' },
    });
    expect(record?.dueAt).toBeGreaterThan(Date.now());

    // Held, the intent would make this offload wait for an attempt that no longer runs, and report it local.
    const again = await storage.offload({ path: 'images/intent.png' });

    expect(again).toMatchObject({ status: 'offloaded', backend: 'archive' });
    expect(written).toEqual(['images/first.png', 'images/intent.png']);
    expect(processErrors.seen).toEqual([]);
  });

  it('with the local removal’s COMMIT answer lost, reports the result offloaded with its copy kept, and does not crash', async () => {
    cutAfterWrite = 1;
    const sha = await ws.addResult('images/cleanup.png', 3072);

    const outcome = await storage.offload({ path: 'images/cleanup.png' });

    expect(cutter.cuts).toBe(1);
    expect(outcome).toMatchObject({ status: 'offloaded', backend: 'archive', localDeleted: false });
    expect(outcome.localDeleteError?.code).toBe(ErrorCode.Unavailable);
    // Nothing was removed before the removal was recorded; the bytes are in both places.
    expect(await fileSha256(join(ws.resultsRoot, 'images/cleanup.png'))).toBe(sha);
    expect(sha256(await readFile(join(archiveRoot, 'images/cleanup.png')))).toBe(sha);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
    // Postgres did commit the cleanup intent: recovery finishes the removal once its lease runs out.
    expect(await committedRecord('images/cleanup.png')).toMatchObject({
      state: 'offloaded',
      localCopy: false,
      intent: { kind: 'cleanup', keys: ['images/cleanup.png'] },
    });
    expect(processErrors.seen).toEqual([]);
  });
});
