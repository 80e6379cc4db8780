/**
 * Templated keys under SIGKILL: a child process (built dist/ code) offloads a
 * batch to MinIO with the key template `t/{uuid}-{timestamp}.{extName}` and is
 * killed at a random moment. The parent then recovers and offloads again what
 * is still local. Every result must end at the key its record fixed at the
 * first attempt (the uuid derived from the record, its creation time), and the
 * bucket must hold exactly one object per result: a re-offload that chose a
 * new uuid or timestamp would leave the killed attempt's object behind.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { derivedUuid, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { runChild } from './support/crash-child.js';
import { createWorkspace, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/offload-crash-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
const BATCH = 6;
const KILLS = 6;

describe('templated keys under SIGKILL', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'key-template-crash');
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
  });
  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.remove()));
  });

  async function openStorage(ws: Workspace): Promise<Storage> {
    const storage = await ws.open();
    storage.registry.register(minioDriverDefinition, { name: 'archive' });
    return storage;
  }

  /** A workspace with BATCH results and the archive set up with the template; returns the child's config. */
  async function prepare(round: number): Promise<{ ws: Workspace; results: Map<string, string>; config: string }> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const storage = await openStorage(ws);
    await storage.registry.saveSettings('archive', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: `round-${round}`,
      keyTemplate: 't/{uuid}-{timestamp}.{extName}',
      deleteLocal: true,
    });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await storage.close();
    const results = new Map<string, string>();
    for (let i = 0; i < BATCH; i++) {
      const path = `results/${i}.png`;
      results.set(path, await ws.addResult(path, 2048 + i * 50_000));
    }
    const config = JSON.stringify({
      resultsRoot: ws.resultsRoot,
      settingsFile: ws.settingsFile,
      appKey: TEST_APP_KEY,
      backend: 'archive',
      kind: 'minio',
      results: [...results.keys()],
      journal: join(ws.dir, 'journal.ndjson'),
      concurrency: 2,
    });
    return { ws, results, config };
  }

  /** Recovers, offloads what is still local, and checks keys and the bucket. */
  async function settle(round: number, ws: Workspace, results: Map<string, string>): Promise<void> {
    const storage = await openStorage(ws);
    await storage.recover();
    for (const path of results.keys()) {
      if (existsSync(join(ws.resultsRoot, path))) {
        expect((await storage.offload({ path })).status, `re-offload of ${path}`).toBe('offloaded');
      }
    }
    const expectedKeys: string[] = [];
    for (const [path, sha] of results) {
      const record = await storage.catalog?.findByPath(path);
      if (!record) throw new Error(`no record of ${path}`);
      const key = `t/${derivedUuid(`${record.id}\u0000`)}-${record.createdAt}.png`;
      expect(record).toMatchObject({ state: 'offloaded', key });
      expect(sha256(await streamToBuffer(await storage.read(`archive:${key}`)))).toBe(sha);
      expectedKeys.push(`round-${round}/${key}`);
    }
    const stored = (await bucket.view(`round-${round}/`)).objects.map((object) => object.key);
    expect(stored.sort(), 'one object per result, each at the key its record fixed').toEqual(expectedKeys.sort());
    await storage.close();
  }

  it('every result ends at the key fixed at its first attempt, with no second object', async () => {
    const calibration = await prepare(0);
    const window = await runChild(CHILD, calibration.config);
    await settle(0, calibration.ws, calibration.results);
    const doneBeforeKill: number[] = [];
    for (let round = 1; round <= KILLS; round++) {
      const { ws, results, config } = await prepare(round);
      const done = () => [...results.keys()].filter((path) => !existsSync(join(ws.resultsRoot, path))).length;
      // Odd rounds at a random moment of the batch; even ones once a given number of results are done,
      // so some kills surely land in the middle of the batch however fast or slow the machine is.
      const atCount = ((round / 2) % (BATCH - 1)) + 1;
      await runChild(
        CHILD,
        config,
        round % 2 === 1 ? { afterMs: Math.random() * window } : { when: () => done() >= atCount },
      );
      doneBeforeKill.push(done());
      await settle(round, ws, results);
    }
    // The kills landed at different moments, some in the middle of the batch.
    expect(
      doneBeforeKill.some((done) => done > 0 && done < BATCH),
      `done before each kill: ${doneBeforeKill}`,
    ).toBe(true);
  }, 90_000);
});
