/**
 * Crash safety: a child process (built dist/ code, as an app runs it) offloads
 * a batch with delete-local on and journals each location in onStored; it is
 * killed with SIGKILL at random moments and started again on the same batch,
 * which it continues (it offloads what is still on the results disk; the
 * catalog's recovery takes over what the dead process left), until the batch is
 * done; then a new batch, until at least 50 kills. After every kill, each
 * result exists intact (same SHA-256) in at least one place, and every
 * location journaled before the kill holds exactly that result. After every
 * batch, every result is offloaded and verified, no multipart upload is open
 * after recovery (before any sweep) nor after a sweep, and the bucket holds no
 * object that no record knows.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { isStorageError, type Storage, sha256File, streamToBuffer } from '../packages/storage-core/src/index.js';
import { startChild } from './support/crash-child.js';
import { createWorkspace, localDefinition, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/offload-crash-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
/** Kills per backend; both backends run side by side, so the test kills at least 50 times. */
const KILLS_PER_BACKEND = 25;
const BATCH = 8;

type Kind = 'local' | 'minio';

interface Round {
  readonly ws: Workspace;
  readonly kind: Kind;
  readonly results: ReadonlyMap<string, string>;
  readonly journal: string;
  readonly config: string;
}

describe('offload under SIGKILL', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'offload-crash');
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
  });
  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.remove()));
  });

  async function openRound(ws: Workspace, kind: Kind): Promise<Storage> {
    const storage = await ws.open();
    if (kind === 'local') storage.registry.register(localDefinition, { name: 'archive' });
    else storage.registry.register(minioDriverDefinition, { name: 'archive' });
    return storage;
  }

  async function prepareRound(index: number, kind: Kind): Promise<Round> {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const storage = await openRound(ws, kind);
    const prefix = `round-${index}`;
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
            keyPrefix: prefix,
          };
    await storage.registry.saveSettings('archive', { ...settings, deleteLocal: true });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
    const results = new Map<string, string>();
    for (let i = 0; i < BATCH; i++) {
      // Mostly small files, some bigger than one part so multipart uploads get killed too.
      const size = i % 4 === 3 ? 5 * 1024 * 1024 + 4096 : 1024 + Math.floor(Math.random() * 400_000);
      const path = `results/${prefix}/${i}.png`;
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
      concurrency: 3,
    });
    return { ws, kind, results, journal, config };
  }

  /** Checks the two promises after a kill; returns how many locations had been journaled. */
  async function verifyRound(round: Round): Promise<number> {
    // The settings file is replaced atomically: it must still open after any kill.
    const storage = await openRound(round.ws, round.kind);
    const journaled = await readJournal(round.journal);
    for (const entry of journaled) {
      expect(entry.sha256).toBe(round.results.get(entry.path));
      const bytes = await streamToBuffer(await storage.read(entry.location));
      expect(sha256(bytes), `journaled location ${entry.location}`).toBe(entry.sha256);
    }
    for (const [path, expected] of round.results) {
      const places: string[] = [];
      const local = join(round.ws.resultsRoot, path);
      if (existsSync(local) && (await sha256File(local)) === expected) places.push('local');
      try {
        if (sha256(await streamToBuffer(await storage.read(`archive:${path}`))) === expected) places.push('archive');
      } catch (error) {
        if (!isStorageError(error, 'NOT_FOUND')) throw error;
      }
      expect(places.length, `${path} must be intact somewhere`).toBeGreaterThan(0);
    }
    await storage.close();
    return journaled.length;
  }

  /** Checks a finished batch: every result offloaded and verified, nothing open or unknown in its prefix. */
  async function verifyDone(round: Round, index: number): Promise<void> {
    const storage = await openRound(round.ws, round.kind);
    try {
      await storage.recover();
      if (round.kind === 'minio') {
        // Recovery aborts what a killed attempt left open at its keys, without waiting for the sweep's age rule.
        const seen = await bucket.view(`round-${index}/`);
        expect(seen.openUploads, 'multipart uploads open after recovery, before any sweep').toEqual([]);
      }
      const swept = await storage.sweep({ olderThanMs: 0 });
      expect(swept.failed, 'uploads the sweep could not abort').toBe(0);
      const offloaded = new Set<string>();
      for await (const record of storage.catalog?.list({ pathPrefix: `results/round-${index}/` }) ?? []) {
        expect({ path: record.path, state: record.state }).toEqual({ path: record.path, state: 'offloaded' });
        const bytes = await streamToBuffer(await storage.read(record.location));
        expect(sha256(bytes), record.location).toBe(round.results.get(record.path));
        offloaded.add(record.key);
      }
      expect(offloaded.size).toBe(BATCH);
      for (const path of round.results.keys()) expect(existsSync(join(round.ws.resultsRoot, path))).toBe(false);
      if (round.kind === 'minio') {
        const seen = await bucket.view(`round-${index}/`);
        expect(seen.openUploads, `multipart uploads open after the sweep ${JSON.stringify(swept)}`).toEqual([]);
        const unknown = seen.objects
          .map((o) => o.key)
          .filter((key) => !offloaded.has(key.slice(`round-${index}/`.length)));
        expect(unknown, 'objects no record knows').toEqual([]);
      }
    } finally {
      await storage.close();
    }
  }

  /** One backend: batches killed and restarted until `KILLS_PER_BACKEND` kills; returns the kills per batch. */
  async function killAndContinue(kind: Kind, firstIndex: number, window: number): Promise<number[]> {
    const killsPerBatch: number[] = [];
    let kills = 0;
    for (let index = firstIndex; kills < KILLS_PER_BACKEND; index += 2) {
      const round = await prepareRound(index, kind);
      let batchKills = 0;
      let cleanRuns = 0;
      for (;;) {
        const run = startChild(CHILD, round.config);
        await run.ready;
        // Once the kills are done, the batch runs to its end.
        const timer =
          kills < KILLS_PER_BACKEND ? setTimeout(() => run.child.kill('SIGKILL'), Math.random() * window) : undefined;
        const exit = await run.exited;
        clearTimeout(timer);
        await verifyRound(round);
        // Nothing unhandled in the child before it was killed (Node prints the error and its stack).
        expect(exit, 'a child crashed on its own').not.toMatch(/^\s+at |Unhandled|uncaught/im);
        if (exit.startsWith('SIGKILL')) {
          kills++;
          batchKills++;
          continue;
        }
        expect(exit, 'a run that was not killed finishes cleanly').toMatch(/^0\n/);
        if ([...round.results.keys()].every((path) => !existsSync(join(round.ws.resultsRoot, path)))) break;
        // A whole run that leaves results behind is a failure to report, not a reason to loop forever.
        expect(++cleanRuns, `runs that finished and still left results of batch ${index}:\n${exit}`).toBeLessThan(2);
      }
      await verifyDone(round, index);
      killsPerBatch.push(batchKills);
    }
    return killsPerBatch;
  }

  /** A run without a kill: the whole protocol completes, and tells how long a batch of `kind` takes. */
  async function calibrate(kind: Kind, index: number): Promise<number> {
    const round = await prepareRound(index, kind);
    const full = startChild(CHILD, round.config);
    await full.ready;
    const started = performance.now();
    const exit = await full.exited;
    const window = performance.now() - started;
    expect(exit).toMatch(new RegExp(`^0\\n(.|\\n)*done ${BATCH}/${BATCH}`));
    expect(await verifyRound(round)).toBe(BATCH);
    return window;
  }

  it('kills at least 50 times, restarts and continues the same batch, and ends with every result offloaded', async () => {
    const [localWindow, minioWindow] = await Promise.all([calibrate('local', -1), calibrate('minio', 0)]);
    const [local, minio] = await Promise.all([
      killAndContinue('local', 1, localWindow),
      killAndContinue('minio', 2, minioWindow),
    ]);
    const kills = [...local, ...minio].reduce((sum, n) => sum + n, 0);
    expect(kills).toBeGreaterThanOrEqual(50);
    // Batches were killed more than once and still continued to the end.
    expect([...local, ...minio].some((n) => n > 1)).toBe(true);
    console.log(
      `[offload-crash] ${kills} kills; batches (kills each) local ${local.join(',')}, minio ${minio.join(',')}; a full batch took ${Math.round(localWindow)} ms (local), ${Math.round(minioWindow)} ms (minio)`,
    );
  }, 150_000);
});

interface JournalEntry {
  readonly path: string;
  readonly location: string;
  readonly sha256: string;
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
