/**
 * Running a batch again: a result already offloaded whose local copy is gone
 * (removed by delete-local, or by recovery finishing a removal a killed
 * process had begun) is reported from its catalog record, not thrown as
 * NOT_FOUND, so an app that resumes its batch after a crash (as the crash test
 * does, tests/offload-crash.test.ts) never has `offloadMany` reject.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../packages/storage-core/src/index.js';
import { createWorkspace, localDefinition, type Workspace } from './support/fixture.js';

describe('offloading again what is already offloaded', () => {
  let ws: Workspace;
  let archiveRoot: string;

  async function open(): Promise<Storage> {
    const storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'archive' });
    return storage;
  }

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    const storage = await open();
    await storage.registry.saveSettings('archive', { root: archiveRoot, deleteLocal: true });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('reports a result whose local copy delete-local removed from its record, alone or in a batch', async () => {
    const storage = await open();
    const sha = await ws.addResult('images/a.png', 2048);
    const first = await storage.offload({ path: 'images/a.png' });
    expect(first).toMatchObject({ status: 'offloaded', location: 'archive:images/a.png', localDeleted: true });

    const stored: string[] = [];
    const again = await storage.offload({ path: 'images/a.png' }, { onStored: (o) => void stored.push(o.location) });
    expect(again).toMatchObject({
      status: 'offloaded',
      location: 'archive:images/a.png',
      resultId: first.resultId,
      localDeleted: true,
      error: undefined,
    });
    expect(again.sha256 ?? sha).toBe(sha);
    expect(stored).toEqual(['archive:images/a.png']);

    await ws.addResult('images/b.png', 1024);
    const batch = await storage.offloadMany([{ path: 'images/a.png' }, { path: 'images/b.png' }]);
    expect(batch.map((o) => [o.location, o.status])).toEqual([
      ['archive:images/a.png', 'offloaded'],
      ['archive:images/b.png', 'offloaded'],
    ]);
    // A file that was never offloaded and is missing is still bad input.
    await expect(storage.offload({ path: 'images/never.png' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('resumes a batch after a crash in delete-local: recovery finishes the removal, offloadMany resolves', async () => {
    const storage = await open();
    await ws.addResult('images/c.png', 4096);
    const kept = await storage.offload({ path: 'images/c.png' }, { deleteLocal: false });
    expect(kept).toMatchObject({ status: 'offloaded', localDeleted: false });
    // What a process killed right after recording "removing the local copy" leaves: the record says no local
    // copy, a cleanup intent names the verified file, its owner is dead, and the file is still on disk.
    const record = await storage.catalog?.findByPath('images/c.png');
    if (!record) throw new Error('no record');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const identity = record.files[0]?.identity;
    expect(identity).toBeDefined();
    await storage.catalog?.update(record.id, record.version, {
      localCopy: false,
      files: record.files.map(({ identity: _going, ...file }) => file),
      intent: {
        kind: 'cleanup',
        attemptId: 'killed-attempt',
        owner: `${hostname()}/${dead}/deadbeef`,
        startedAt: Date.now() - 1000,
        leaseUntil: Date.now() + 60_000,
        targetId: 'local',
        keys: ['images/c.png'],
        identities: [identity as NonNullable<typeof identity>],
      },
    });
    await storage.close();

    // The app restarts and runs its batch again.
    const restarted = await open();
    await ws.addResult('images/d.png', 1024);
    expect(existsSync(join(ws.resultsRoot, 'images/c.png'))).toBe(true);
    const batch = await restarted.offloadMany([{ path: 'images/c.png' }, { path: 'images/d.png' }]);
    expect(batch.map((o) => [o.location, o.status])).toEqual([
      ['archive:images/c.png', 'offloaded'],
      ['archive:images/d.png', 'offloaded'],
    ]);
    expect(existsSync(join(ws.resultsRoot, 'images/c.png'))).toBe(false);
    expect(existsSync(join(archiveRoot, 'images/c.png'))).toBe(true);
    expect(await restarted.catalog?.findByPath('images/c.png')).toMatchObject({
      state: 'offloaded',
      localCopy: false,
      intent: undefined,
    });
  });
});
