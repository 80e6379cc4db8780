/**
 * Migrating a media library between backends: local disk to a backend, one
 * backend to another (MinIO), and back to local disk; each result streamed,
 * verified, switched in one catalog commit, its source deleted only after;
 * every old location still resolving, to the new place; bad requests refused
 * before anything is touched.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import {
  ErrorCode,
  type MigrateMovedEvent,
  type MigrationProgress,
  type Storage,
  streamToBuffer,
} from '../packages/storage-core/src/index.js';
import { createWorkspace, fileSha256, localDefinition, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

describe('storage.migrate', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'migrate');
  let ws: Workspace;
  let storage: Storage;
  let archiveRoot: string;
  let prefix: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    prefix = `m-${Math.random().toString(36).slice(2, 8)}`;
    storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'archive' });
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
  });
  afterEach(async () => {
    await ws.remove();
  });

  /** Offloads `count` results to `backend` (or keeps them local) and returns their locations and SHA-256s. */
  async function library(backend: string, count: number, options: { variants?: boolean; deleteLocal?: boolean } = {}) {
    await storage.registry.setDefault(backend);
    const made: Array<{ path: string; location: string; sha: string }> = [];
    for (let i = 0; i < count; i++) {
      const path = `lib/${i}.png`;
      const sha = await ws.addResult(path, 1000 + i * 37);
      if (options.variants) await ws.addResult(`lib/${i}-t.webp`, 100 + i);
      const outcome = await storage.offload(
        { path, ...(options.variants ? { variants: { t: `lib/${i}-t.webp` } } : {}) },
        { deleteLocal: options.deleteLocal ?? false },
      );
      expect(outcome.status).toBe(backend === 'local' ? 'local' : 'offloaded');
      made.push({ path, location: outcome.location, sha });
    }
    await storage.registry.setDefault('local');
    return made;
  }

  async function readSha(location: string, variant?: string): Promise<string> {
    return sha256(await streamToBuffer(await storage.read(location, variant ? { variant } : {})));
  }

  it('moves results from local disk to a backend: verified, switched, old locations resolving to the new place', async () => {
    const made = await library('local', 6);
    const moved: MigrateMovedEvent[] = [];
    const progress: MigrationProgress[] = [];
    storage.events.on('migrate:moved', (event) => moved.push(event));
    storage.events.on('migrate:progress', (event) => progress.push(event));
    const report = await storage.migrate({ from: 'local', to: 'archive' });
    expect(report).toMatchObject({ state: 'done', results: { done: 6, failed: 0, total: 6 }, failures: {} });
    expect(report.bytes.done).toBe(report.bytes.total);
    expect(moved.map((event) => event.path).sort()).toEqual(made.map((result) => result.path).sort());
    expect(moved[0]?.to.location).toMatch(/^archive:lib\//);
    expect(progress.at(-1)?.results.done).toBe(6);
    for (const result of made) {
      expect(await readSha(result.location)).toBe(result.sha);
      expect(await fileSha256(join(archiveRoot, result.path))).toBe(result.sha);
      // Without deleteSource the local copy stays.
      expect(await fileSha256(join(ws.resultsRoot, result.path))).toBe(result.sha);
      expect(await storage.catalog?.findByPath(result.path)).toMatchObject({
        state: 'offloaded',
        targetId: 'archive.1',
        migrationId: undefined,
        intent: undefined,
      });
    }
  });

  it('moves results and their variants from one backend to MinIO, deleting each source only after the switch', async () => {
    const made = await library('archive', 4, { variants: true });
    const report = await storage.migrate({ from: 'archive', to: 'minio', deleteSource: true });
    expect(report.results).toEqual({ done: 4, failed: 0, total: 4 });
    expect((await readdir(archiveRoot, { recursive: true })).filter((name) => name.endsWith('.png'))).toEqual([]);
    const view = await bucket.view(`${prefix}/`);
    expect(view.objects.map((object) => object.key).sort()).toHaveLength(8);
    for (const result of made) {
      expect(await readSha(result.location)).toBe(result.sha);
      expect((await storage.stat(result.location, { variant: 't' })).size).toBeGreaterThan(99);
      expect(
        await storage.catalog?.locationsOf((await storage.catalog?.resolve(result.location))?.id as string),
      ).toEqual(expect.arrayContaining([result.location, `minio:${result.path}`]));
    }
  });

  it('downloads results back from the bucket to local disk', async () => {
    const made = await library('minio', 3, { deleteLocal: true });
    for (const result of made) expect(await fileSha256(join(ws.resultsRoot, result.path))).toBeUndefined();
    const report = await storage.migrate({ from: 'minio', to: 'local', deleteSource: true });
    expect(report.results.done).toBe(3);
    expect((await bucket.view(`${prefix}/`)).objects).toEqual([]);
    for (const result of made) {
      expect(await fileSha256(join(ws.resultsRoot, result.path))).toBe(result.sha);
      expect(await readSha(result.location)).toBe(result.sha);
      expect(await storage.catalog?.findByPath(result.path)).toMatchObject({
        state: 'local',
        targetId: 'local',
        localCopy: true,
      });
    }
  });

  it('keeps knowing the local copy of a result moved between backends: offloading it again sends nothing, moving it back keeps it', async () => {
    const made = await library('minio', 2);
    await storage.migrate({ from: 'minio', to: 'archive' });
    await storage.registry.setDefault('minio');
    for (const result of made) {
      const again = await storage.offload({ path: result.path });
      expect(again).toMatchObject({ status: 'offloaded', target: 'archive.1' });
      expect(await storage.catalog?.findByPath(result.path)).toMatchObject({
        state: 'offloaded',
        targetId: 'archive.1',
      });
    }
    const back = await storage.migrate({ from: 'archive', to: 'local', deleteSource: true });
    expect(back).toMatchObject({ state: 'done', results: { done: 2, failed: 0, total: 2 }, failures: {} });
    for (const result of made) {
      expect(await fileSha256(join(ws.resultsRoot, result.path))).toBe(result.sha);
      expect(await fileSha256(join(archiveRoot, result.path))).toBeUndefined();
      expect(await readSha(result.location)).toBe(result.sha);
    }
  });

  it('reports in a dry run what would move and the bytes, touching nothing', async () => {
    await library('archive', 3);
    const before = await storage.stats();
    const report = await storage.migrate({ from: 'archive', to: 'minio', dryRun: true });
    expect(report).toMatchObject({ state: 'dry-run', jobId: undefined, results: { done: 0, total: 3 } });
    expect(report.bytes.total).toBe(1000 + 1037 + 1074);
    expect(await storage.stats()).toEqual(before);
    expect(await storage.catalog?.listJobs()).toEqual([]);
    expect((await bucket.view(`${prefix}/`)).objects).toEqual([]);
  });

  it('refuses bad requests with a clear error before any object is touched', async () => {
    await library('archive', 2);
    await expect(storage.migrate({ from: 'archive', to: 'archive' })).rejects.toThrow(
      /destination "archive.1" is also a source/,
    );
    await storage.registry.disable('minio');
    await expect(storage.migrate({ from: 'archive', to: 'minio' })).rejects.toThrow(/destination "minio" is disabled/);
    await storage.registry.enable('minio');
    await expect(storage.migrate({ from: 'archive', to: 'minio', filter: { pathPrefix: 'nothing/' } })).rejects.toThrow(
      /no result in archive.1 under "nothing\/" to move/,
    );
    await expect(storage.migrate({ from: 'nowhere', to: 'minio' })).rejects.toThrow(
      /"nowhere" is neither a provider nor a target/,
    );
    await expect(storage.migrate({ from: [], to: 'minio', concurrency: 0 } as never)).rejects.toThrow(
      /from: name one or more providers or targets; concurrency: must be a whole number/,
    );
    // A misspelt dryRun must not run the migration it was meant to preview.
    await expect(storage.migrate({ from: 'archive', to: 'minio', dryrun: true } as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'migrate: unknown option "dryrun"',
    });
    await expect(storage.queueMigration({ from: 'archive', to: 'minio', deletesource: true } as never)).rejects.toThrow(
      'migrate: unknown option "deletesource"',
    );
    await storage.registry.saveSettings('minio', {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: 'not-the-secret-at-all',
      keyPrefix: prefix,
    });
    await expect(storage.migrate({ from: 'archive', to: 'minio' })).rejects.toMatchObject({
      code: ErrorCode.InvalidCredentials,
      message: expect.stringContaining('failed its connection test'),
    });
    expect(await storage.catalog?.listJobs()).toEqual([]);
    expect((await storage.stats()).byTarget).toEqual([{ targetId: 'archive.1', results: 2, bytes: 2037 }]);
    expect((await bucket.view(`${prefix}/`)).objects).toEqual([]);
  });

  it('leaves a result whose source bytes no longer match the catalog where it is, and reports why', async () => {
    const made = await library('archive', 2);
    await writeFile(join(archiveRoot, 'lib/1.png'), 'x'.repeat(1037));
    const report = await storage.migrate({ from: 'archive', to: 'minio', deleteSource: true });
    expect(report.results).toEqual({ done: 1, failed: 1, total: 2 });
    expect(report.failures).toEqual({ CHECKSUM_MISMATCH: 1 });
    expect(await storage.catalog?.findByPath('lib/1.png')).toMatchObject({
      targetId: 'archive.1',
      migrationId: undefined,
      lastError: { code: 'CHECKSUM_MISMATCH' },
    });
    expect((await bucket.view(`${prefix}/`)).objects.map((object) => object.key)).toEqual([`${prefix}/lib/0.png`]);
    expect(await readSha(made[0]?.location as string)).toBe(made[0]?.sha);
  });

  it('skips a result deleted while it waits in a migration queue: the migration ends, the job is done', async () => {
    const made = await library('archive', 3);
    const jobId = await storage.queueMigration({ from: 'archive', to: 'minio' });
    await storage.delete(made[1]?.location as string);
    // The same request resumes the queued job; before, it waited for the deleted result for ever.
    const report = await storage.migrate({ from: 'archive', to: 'minio', signal: AbortSignal.timeout(10_000) });
    expect(report).toMatchObject({ state: 'done', jobId, results: { done: 2, failed: 0, total: 2 } });
    expect(await storage.migrationStatus(jobId)).toMatchObject({
      state: 'done',
      results: { done: 2, failed: 0, skipped: 1, left: 0, total: 3 },
      bytes: { done: 1000 + 1074, left: 0, total: 1000 + 1037 + 1074 },
    });
    expect(await storage.catalog?.resolve(made[1]?.location as string)).toMatchObject({
      state: 'deleted',
      migrationId: undefined,
    });
    expect((await bucket.view(`${prefix}/`)).objects.map((object) => object.key).sort()).toEqual([
      `${prefix}/lib/0.png`,
      `${prefix}/lib/2.png`,
    ]);
  });

  it('keeps to a byte-rate bound across concurrent transfers', async () => {
    await storage.registry.setDefault('archive');
    for (let i = 0; i < 4; i++) await ws.addResult(`slow/${i}.bin`, 96 * 1024);
    for (let i = 0; i < 4; i++) await storage.offload({ path: `slow/${i}.bin` });
    const started = performance.now();
    const report = await storage.migrate({ from: 'archive', to: 'minio', bytesPerSecond: 128 * 1024, concurrency: 4 });
    const seconds = (performance.now() - started) / 1000;
    expect(report.results.done).toBe(4);
    // 384 KiB at 128 KiB/s, less the quarter second of burst the bucket allows: at least about 2.75 s.
    expect(seconds).toBeGreaterThan(2.5);
  });
});
