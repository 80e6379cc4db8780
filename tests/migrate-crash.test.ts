/**
 * A migration killed at random moments (SIGKILL, 12 times) and run again each
 * time: it resumes where it stopped, never loses a result, never deletes a
 * source whose destination copy was not verified and recorded, and leaves no
 * copy behind that no record points to.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { type StartedChild, startChild } from './support/crash-child.js';
import { createWorkspace, localDefinition, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/migrate-crash-child.mjs', import.meta.url));
const KILLS = 12;
const RESULTS = 24;

describe('a migration under SIGKILL', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'migrate-crash');
  let ws: Workspace;
  let archiveRoot: string;
  const prefix = `mc-${Date.now()}`;
  const expected = new Map<string, string>();

  beforeAll(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    const storage = await open();
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
    await storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: prefix,
    });
    await storage.registry.enable('minio');
    await storage.registry.setDefault('archive');
    for (let i = 0; i < RESULTS; i++) {
      const path = `library/${i}.png`;
      expected.set(path, await ws.addResult(path, 60_000 + i * 1000));
      expect((await storage.offload({ path }, { deleteLocal: true })).status).toBe('offloaded');
    }
    await storage.close();
  });
  afterAll(async () => {
    await ws.remove();
  });

  async function open(): Promise<Storage> {
    const storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'archive' });
    storage.registry.register(minioDriverDefinition);
    return storage;
  }

  function start(): StartedChild {
    const config = JSON.stringify({
      resultsRoot: ws.resultsRoot,
      settingsFile: ws.settingsFile,
      appKey: TEST_APP_KEY,
      bytesPerSecond: 200 * 1024,
    });
    return startChild(CHILD, config);
  }

  /** Every result reads its own bytes through its first location, wherever its record says it is. Returns how many moved. */
  async function expectNothingLost(): Promise<number> {
    const storage = await open();
    let moved = 0;
    try {
      for (const [path, sha] of expected) {
        const record = await storage.catalog?.findByPath(path);
        expect(record, `${path} has no record`).toBeDefined();
        const bytes = await streamToBuffer(await storage.read(record?.location as string));
        expect(sha256(bytes), `${path} (in ${record?.targetId})`).toBe(sha);
        if (record?.targetId === 'minio.1') moved++;
      }
    } finally {
      await storage.close();
    }
    return moved;
  }

  it(`resumes after each of ${KILLS} kills and ends with every result moved once, nothing lost or left behind`, async () => {
    const movedAfterKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const run = start();
      await run.ready;
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1200));
      run.child.kill('SIGKILL');
      await run.exited;
      movedAfterKill.push(await expectNothingLost());
    }
    // Run it again to the end; when the kills happened to let it finish, running it again finds nothing left.
    const movedBefore = movedAfterKill.at(-1);
    const last = start();
    const exit = await last.exited;
    if (movedBefore === RESULTS && exit.startsWith('1\n')) expect(exit).toMatch(/no result in archive.1 to move/);
    else expect(exit).toMatch(/^0\n(.|\n)*done \d+ failed 0/);
    expect(await expectNothingLost()).toBe(RESULTS);
    expect(
      movedAfterKill.some((moved) => moved > 0 && moved < RESULTS),
      JSON.stringify(movedAfterKill),
    ).toBe(true);

    const storage = await open();
    try {
      for await (const record of storage.catalog?.list() ?? []) {
        expect(record).toMatchObject({ targetId: 'minio.1', intent: undefined, migrationId: undefined });
      }
      // A kill during the destination's connection test may leave its probe object: Stowage's own, not a result.
      const stored = (await bucket.view(`${prefix}/`)).objects.filter(
        (object) => !object.key.includes('/.stowage-probe/'),
      );
      expect(new Map(stored.map((object) => [object.key.slice(prefix.length + 1), object.sha256]))).toEqual(expected);
      expect((await readdir(archiveRoot, { recursive: true })).filter((name) => name.endsWith('.png'))).toEqual([]);
      expect((await storage.catalog?.listJobs({ kind: 'migrate' }))?.map((job) => job.state)).toEqual(['done']);
    } finally {
      await storage.close();
    }
  }, 150_000);
});
