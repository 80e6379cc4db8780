/**
 * Three app servers (child processes running the worker, built on the public
 * API) on one Postgres catalog and one MinIO share a queued migration (local
 * disk to MinIO, deleting each local copy) and the re-offload of results whose
 * first offload failed, 2,000 results in all, while one server is SIGKILLed
 * mid-run and started again. Each server names its own host (`hostId`), as
 * servers on separate machines do, so the others take over the killed one's
 * work only once its leases have passed (the restarted one, on the same
 * "host", may take it at once: its old pid is gone). At the
 * end: nothing lost (every result reads back its own bytes from where its
 * record says), nothing done twice, every record true (a reconcile job run by
 * the workers finds nothing missing, mismatched or orphaned), every job done.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgresCatalog, type PostgresCatalog } from '../packages/catalog-postgres/src/index.js';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type ReconcileReport, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import {
  controlledDefinition,
  createWorkspace,
  eventually,
  sha256,
  TEST_APP_KEY,
  type Workspace,
  type WriteControl,
} from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/multi-server-worker.mjs', import.meta.url));
const MIGRATED = 1000;
const REOFFLOADED = 1000;
const LEASE_MS = 3000;

interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  output(): string;
}

describe('three servers on one Postgres and one MinIO', () => {
  const s3 = inject('s3');
  const { url } = inject('postgres');
  const schema = `ms_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const prefix = `ms-${Date.now()}`;
  const expected = new Map<string, string>();
  let movedBytes = 0;
  const control: WriteControl = { writes: [] };
  const bucket = bucketForSuite(s3, 'multi-server');
  let ws: Workspace;
  let archiveRoot: string;
  let catalog: PostgresCatalog;
  let storage: Storage;
  const servers: Server[] = [];

  beforeAll(async () => {
    const began = performance.now();
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    catalog = await openPostgresCatalog({ connectionString: url, schema, maxConnections: 8 });
    storage = await ws.open({ catalog, concurrency: 8, retry: { firstDelayMs: 100, maxDelayMs: 400, jitter: 0.2 } });
    storage.registry.register(controlledDefinition(control));
    storage.registry.register(minioDriverDefinition);
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
    // Small files: the test is about who does what, not about bytes. These stay on local disk
    // (the default is local disk), recorded, for the migration to move.
    await storage.registry.setDefault('local');
    const migrated = await addResults('moved', MIGRATED);
    expectStatus(await storage.offloadMany(migrated.map((path) => ({ path }))), 'local');
    // The first offload of these fails (the archive answers UNAVAILABLE): they stay local, due for the worker.
    await storage.registry.setDefault('archive');
    control.failure = ErrorCode.Unavailable;
    const failed = await addResults('retried', REOFFLOADED);
    expectStatus(await storage.offloadMany(failed.map((path) => ({ path }))), 'local');
    control.failure = undefined;
    await storage.registry.setDefault('minio');
    console.log(`[multi-server] set-up of ${expected.size} results: ${Math.round(performance.now() - began)} ms`);
  }, 240_000);

  afterAll(async () => {
    for (const server of servers) server.child.kill('SIGKILL');
    await Promise.all(servers.map((server) => server.exited));
    await ws?.remove();
    await catalog?.close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  async function addResults(folder: string, count: number): Promise<string[]> {
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      const path = `${folder}/${String(i).padStart(4, '0')}.bin`;
      const size = 256 + ((i * 37) % 1024);
      expected.set(path, await ws.addResult(path, size));
      if (folder === 'moved') movedBytes += size;
      paths.push(path);
    }
    return paths;
  }

  function expectStatus(outcomes: ReadonlyArray<{ status: string }>, status: string): void {
    expect(outcomes.filter((outcome) => outcome.status !== status)).toEqual([]);
  }

  function start(name: string): Server {
    const config = {
      postgresUrl: url,
      schema,
      settingsFile: ws.settingsFile,
      resultsRoot: ws.resultsRoot,
      appKey: TEST_APP_KEY,
      hostId: name,
      leaseMs: LEASE_MS,
    };
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, STOWAGE_MULTI_SERVER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('ready\n')) markReady();
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<void>((resolve) => {
      child.on('exit', () => {
        markReady();
        resolve();
      });
    });
    const server = { name, child, ready, exited, output: () => output };
    servers.push(server);
    return server;
  }

  /** How many results are done: moved by the migration plus re-offloaded to MinIO. */
  async function doneSoFar(jobId: string): Promise<number> {
    const status = await storage.migrationStatus(jobId);
    const reoffloaded = await catalog.count({ pathPrefix: 'retried/', state: 'offloaded' });
    return status.results.done + reoffloaded.results;
  }

  it('moves and re-offloads 2,000 results once each, through a SIGKILL, with every record true', async () => {
    const jobId = await storage.queueMigration({
      from: 'local',
      to: 'minio',
      filter: { pathPrefix: 'moved/' },
      deleteSource: true,
    });
    expect(await storage.migrationStatus(jobId)).toMatchObject({
      state: 'running',
      results: { done: 0, left: MIGRATED, total: MIGRATED },
    });
    const first = ['server-a', 'server-b', 'server-c'].map(start);
    await Promise.all(first.map((server) => server.ready));

    // Kill one server mid-run, by progress (not by time), then start it again.
    const victim = first[1] as Server;
    const began = performance.now();
    const killAt = (MIGRATED + REOFFLOADED) / 5;
    await everyHalfSecond(async () => (await doneSoFar(jobId)) >= killAt, 120_000, 'a fifth of the results are done');
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = await doneSoFar(jobId);
    let abandoned = 0;
    for await (const record of catalog.list({ hasIntent: true })) {
      if (record.intent?.owner.startsWith(`server-b/${victim.child.pid}/`)) abandoned++;
    }
    expect(atKill).toBeLessThan(MIGRATED + REOFFLOADED);
    const restarted = start('server-b');
    await restarted.ready;

    await everyHalfSecond(
      async () => {
        const stats = await storage.stats();
        const status = await storage.migrationStatus(jobId);
        return status.state === 'done' && stats.byState.offloaded === MIGRATED + REOFFLOADED && stats.inFlight === 0;
      },
      240_000,
      'the migration is done and every result is offloaded, nothing in flight',
    );
    const status = await storage.migrationStatus(jobId);
    console.log(
      `[multi-server] ${MIGRATED} migrated and ${REOFFLOADED} re-offloaded by 3 servers (one killed at ${atKill} done, holding ${abandoned} results): ${Math.round(performance.now() - began)} ms`,
    );
    expect(status).toMatchObject({
      state: 'done',
      from: ['local'],
      to: 'minio.1',
      results: { done: MIGRATED, failed: 0, skipped: 0, left: 0, total: MIGRATED },
      failures: {},
    });
    expect(status.bytes).toEqual({ done: movedBytes, left: 0, total: movedBytes });

    // The workers run a reconcile job too; its report is the job's.
    const reconcileBegan = performance.now();
    const reconcileId = await storage.queueReconcile({ target: 'minio', deep: true });
    await eventually(
      async () => (await catalog.getJob(reconcileId))?.state === 'done',
      120_000,
      'the queued reconcile is done',
    );
    const report = (await catalog.getJob(reconcileId))?.progress.report as ReconcileReport;
    expect(report).toMatchObject({
      state: 'done',
      orphans: { count: 0 },
      missing: { count: 0 },
      deep: true,
      mismatched: { count: 0, byReason: { size: 0, sha256: 0, content: 0 } },
      unchecked: { count: 0 },
    });
    console.log(`[multi-server] reconcile job of minio.1: ${Math.round(performance.now() - reconcileBegan)} ms`);
    expect(report.recorded.files).toBe(MIGRATED + REOFFLOADED);
    expect(report.listed.objects).toBe(MIGRATED + REOFFLOADED);

    await Promise.all(servers.filter((server) => server !== victim).map((server) => stopGracefully(server)));

    // Nothing done twice: no result was moved or sent by two servers (output of the killed one included).
    const done = new Map<string, number>();
    for (const server of servers) {
      for (const line of server.output().split('\n')) {
        const [what, path] = line.split(' ');
        if ((what === 'moved' || what === 'stored') && path) done.set(path, (done.get(path) ?? 0) + 1);
        expect(what === 'migrate-failed' || what === 'offload-failed' ? line : '').toBe('');
      }
    }
    expect([...done].filter(([, times]) => times > 1)).toEqual([]);
    expect(done.size).toBeGreaterThan(MIGRATED + REOFFLOADED - 50);

    // Nothing lost: every record says MinIO with the file's own SHA-256 (and the deep reconcile above
    // re-hashed every object there against the catalog); a sample reads back through its first location.
    const records = new Map<string, NonNullable<Awaited<ReturnType<typeof catalog.findByPath>>>>();
    for await (const record of catalog.list()) records.set(record.path, record);
    const wrong: string[] = [];
    for (const [path, sha] of expected) {
      const record = records.get(path);
      const state = `${record?.state} ${record?.targetId} ${record?.intent?.kind} ${record?.migrationId}`;
      if (state !== 'offloaded minio.1 undefined undefined') wrong.push(`${path}: ${state}`);
      else if (record?.files[0]?.sha256 !== sha) wrong.push(`${path}: recorded ${record?.files[0]?.sha256}`);
    }
    expect(wrong).toEqual([]);
    expect(records.size).toBe(expected.size);
    const sample = [...expected].filter((_, i) => i % 20 === 0);
    const read = await Promise.all(
      sample.map(async ([path]) =>
        sha256(await streamToBuffer(await storage.read(records.get(path)?.location as string))),
      ),
    );
    expect(read).toEqual(sample.map(([, sha]) => sha));
    // deleteSource removed the results disk's copy of every migrated result (each only after its
    // switch: the deep reconcile found every object whole); the re-offloaded ones keep theirs.
    const localFiles = await readdir(ws.resultsRoot, { recursive: true });
    expect(localFiles.filter((name) => name.endsWith('.bin')).sort()).toEqual(
      [...expected.keys()].filter((path) => path.startsWith('retried/')),
    );
    expect(await readdir(archiveRoot)).toEqual([]);
    expect((await catalog.listJobs()).map((job) => `${job.kind} ${job.state}`).sort()).toEqual([
      'migrate done',
      'reconcile done',
    ]);
  }, 420_000);
});

/** Polls `check` every 500 ms (the catalog's counts are not free) until it holds, failing after `timeoutMs`. */
async function everyHalfSecond(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function stopGracefully(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
  expect(server.output()).toContain('stopped');
}
