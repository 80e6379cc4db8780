/**
 * Crash safety: a child process (built dist/ code, as an app runs it) offloads
 * a batch with delete-local on and journals each location in onStored; it is
 * killed with SIGKILL at random moments, many times over. After every kill,
 * each result exists intact (same SHA-256) in at least one place, and every
 * location journaled before the kill holds exactly that result.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { isStorageError, type Storage, sha256File, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createTestBucket, removeTestBucket } from '../packages/testing/src/index.js';
import { createWorkspace, localDefinition, sha256, TEST_APP_KEY, type Workspace } from './support/fixture.js';

const CHILD = fileURLToPath(new URL('./fixtures/offload-crash-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
const KILLS_PER_BACKEND = 12;
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
  let bucket: string;
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
    bucket = await createTestBucket(s3, 'offload-crash');
  });
  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.remove()));
    await removeTestBucket(s3, bucket);
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
            bucket,
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

  function startChild(round: Round): { child: ChildProcess; ready: Promise<void>; exited: Promise<string> } {
    const child = spawn(process.execPath, [CHILD, round.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
      if (stdout.includes('ready\n')) markReady();
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<string>((resolve) => {
      child.on('exit', (code, signal) => {
        markReady();
        resolve(`${signal ?? code}\n${stdout}${stderr}`);
      });
    });
    return { child, ready, exited };
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

  it('keeps every result intact in at least one place, and every recorded location true', async () => {
    // A run without a kill: the whole protocol completes and tells how long a batch takes.
    const calibration = await prepareRound(0, 'minio');
    const full = startChild(calibration);
    await full.ready;
    const started = performance.now();
    const exit = await full.exited;
    const window = performance.now() - started;
    expect(exit).toMatch(new RegExp(`^0\\n(.|\\n)*done ${BATCH}/${BATCH}`));
    expect(await verifyRound(calibration)).toBe(BATCH);

    const journaledCounts: number[] = [];
    for (let i = 1; i <= KILLS_PER_BACKEND * 2; i++) {
      const round = await prepareRound(i, i % 2 === 0 ? 'local' : 'minio');
      const run = startChild(round);
      await run.ready;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * window));
      run.child.kill('SIGKILL');
      await run.exited;
      journaledCounts.push(await verifyRound(round));
    }
    // The kills landed at different moments: before, during and (sometimes) after the batch.
    expect(journaledCounts.some((count) => count > 0 && count < BATCH)).toBe(true);
  }, 110_000);
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
