/**
 * Crash safety with the catalog: a child process (built dist/ code) offloads a
 * batch with delete-local on while its worker runs, and is killed with SIGKILL
 * at random moments, 50 times, then started again on the same batch. After
 * every kill the catalog tells the truth about each result: an offloaded
 * record's location serves the right bytes, a record that is not offloaded has
 * its local file, and no result exists in zero places. After the last restart
 * runs to the end, no intent is left and every result is offloaded.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { type Storage, sha256File, streamToBuffer } from '../packages/storage-core/src/index.js';
import { startChild } from './support/crash-child.js';
import { createWorkspace, localDefinition, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/catalog-crash-child.mjs', import.meta.url));
const KILLS_PER_BACKEND = 25;
const BATCH = 12;

type Kind = 'local' | 'minio';

interface Batch {
  readonly ws: Workspace;
  readonly kind: Kind;
  readonly results: ReadonlyMap<string, string>;
  readonly journal: string;
  readonly config: string;
}

describe('offload with the catalog and the worker under SIGKILL', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'catalog-crash');
  const workspaces: Workspace[] = [];

  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.remove()));
  });

  async function open(ws: Workspace, kind: Kind): Promise<Storage> {
    const storage = await ws.open();
    storage.registry.register(kind === 'local' ? localDefinition : minioDriverDefinition, { name: 'archive' });
    return storage;
  }

  async function prepare(kind: Kind): Promise<Batch> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const storage = await open(ws, kind);
    const settings =
      kind === 'local'
        ? { root: await ws.folder('archive') }
        : {
            endpoint: s3.endpoint,
            region: s3.region,
            bucket: bucket.name,
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            partSize: 5 * 1024 * 1024,
            keyPrefix: `crash-${kind}-${Date.now()}`,
          };
    await storage.registry.saveSettings('archive', { ...settings, deleteLocal: true });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    await storage.close();
    const results = new Map<string, string>();
    for (let i = 0; i < BATCH; i++) {
      // Mostly small files, some bigger than one part, so multipart uploads get killed too.
      const size = i % 6 === 5 ? 5 * 1024 * 1024 + 4096 : 1024 + Math.floor(Math.random() * 300_000);
      const path = `batch/${i}.png`;
      results.set(path, await ws.addResult(path, size));
    }
    const journal = join(ws.dir, 'journal.ndjson');
    const config = JSON.stringify({
      resultsRoot: ws.resultsRoot,
      settingsFile: ws.settingsFile,
      appKey: TEST_APP_KEY,
      backend: 'archive',
      kind,
      results: [...results.keys()],
      journal,
    });
    return { ws, kind, results, journal, config };
  }

  /** The catalog's account of every result, checked against the bytes. Counts offloaded results and open intents. */
  async function expectCatalogTrue(batch: Batch, settled: boolean): Promise<{ offloaded: number; intents: number }> {
    const storage = await open(batch.ws, batch.kind);
    let offloaded = 0;
    let intents = 0;
    try {
      for (const [path, expected] of batch.results) {
        const local = join(batch.ws.resultsRoot, path);
        const localIntact = existsSync(local) && (await sha256File(local)) === expected;
        const record = await storage.catalog?.findByPath(path);
        if (settled) expect(record?.intent, `${path}: an intent is left unresolved`).toBeUndefined();
        if (record?.intent) intents++;
        if (record?.state === 'offloaded') {
          offloaded++;
          const stored = sha256(await streamToBuffer(await storage.read(record.location)));
          expect(stored, `${path}: its offloaded record serves other bytes`).toBe(expected);
          if (record.localCopy && !record.intent)
            expect(localIntact, `${path}: record says a local copy is kept`).toBe(true);
        } else {
          expect(localIntact, `${path} (${record?.state ?? 'no record'}) has no local file: it exists nowhere`).toBe(
            true,
          );
        }
      }
      for (const entry of await readJournal(batch.journal)) {
        const bytes = await streamToBuffer(await storage.read(entry.location));
        expect(sha256(bytes), `journaled location ${entry.location}`).toBe(batch.results.get(entry.path));
      }
    } finally {
      await storage.close();
    }
    return { offloaded, intents };
  }

  /** How long a whole batch takes from "ready" to the end, on a batch of its own: the window kills land in. */
  async function calibrate(kind: Kind): Promise<number> {
    const run = startChild(CHILD, (await prepare(kind)).config);
    await run.ready;
    const started = performance.now();
    expect(await run.exited).toMatch(/^0\n(.|\n)*done/);
    return performance.now() - started;
  }

  async function killRepeatedly(kind: Kind): Promise<Array<{ offloaded: number; intents: number }>> {
    const window = await calibrate(kind);
    const batch = await prepare(kind);
    const afterKill: Array<{ offloaded: number; intents: number }> = [];
    for (let kill = 0; kill < KILLS_PER_BACKEND; kill++) {
      const run = startChild(CHILD, batch.config);
      await run.ready;
      if (kill % 2 === 0) {
        // Short kills at a random moment, so the batch advances a little with each run.
        await new Promise((resolve) => setTimeout(resolve, (Math.random() * window) / 6));
      } else {
        // Right after one more result is journaled (onStored ran, its local copy not yet removed, others
        // in flight): lands mid-batch however long this run's start and recovery take.
        await journalGainsResult(batch.journal, run.exited);
      }
      run.child.kill('SIGKILL');
      await run.exited;
      afterKill.push(await expectCatalogTrue(batch, false));
    }
    const last = startChild(CHILD, batch.config);
    expect(await last.exited).toMatch(/^0\n(.|\n)*done/);
    expect(await expectCatalogTrue(batch, true)).toEqual({ offloaded: BATCH, intents: 0 });
    for (const path of batch.results.keys()) expect(existsSync(join(batch.ws.resultsRoot, path))).toBe(false);
    return afterKill;
  }

  /**
   * Resolves once the journal names one more result than it does now, or once the child has exited.
   * Distinct paths, not lines: a result offloaded before a kill is reported (and journaled) again by
   * the next run before anything new is sent, and killing on that would stop the batch from advancing.
   */
  async function journalGainsResult(file: string, exited: Promise<unknown>): Promise<void> {
    const journaled = async () => new Set((await readJournal(file).catch(() => [])).map((entry) => entry.path)).size;
    const before = await journaled();
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    while (!gone && (await journaled()) <= before) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  // The kills landed mid-way: some left work half done, and some left intents for recovery to resolve.
  function expectKillsLandedMidway(afterKill: ReadonlyArray<{ offloaded: number; intents: number }>): void {
    expect(afterKill.some((state) => state.offloaded < BATCH)).toBe(true);
    expect(
      afterKill.some((state) => state.intents > 0),
      JSON.stringify(afterKill),
    ).toBe(true);
  }

  it(`keeps the catalog true through ${KILLS_PER_BACKEND} kills to a local root and finishes the batch`, async () => {
    expectKillsLandedMidway(await killRepeatedly('local'));
  }, 150_000);

  it(`keeps the catalog true through ${KILLS_PER_BACKEND} kills to MinIO and finishes the batch`, async () => {
    expectKillsLandedMidway(await killRepeatedly('minio'));
  }, 150_000);
});

interface JournalEntry {
  readonly path: string;
  readonly location: string;
}

// A line cut short by the kill was never fully recorded, so it is not a promise to check.
async function readJournal(file: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JournalEntry);
}
