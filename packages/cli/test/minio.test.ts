/**
 * The built `stowage` binary against a real MinIO and the real SQLite
 * catalog, as an operator runs it, one step after another on one folder (the
 * steps build on each other, as a real session would): save settings with the
 * secret from an environment variable (it never shows in any output, and the
 * settings file holds it encrypted), test the connection (ok; a wrong secret
 * is classified), enable and make it the default, offload, status and stats
 * counts, migrate results kept on local disk to MinIO (its progress bar on a
 * pseudo-terminal), reconcile (and fix a
 * missing object from its local copy), the worker sending it again until
 * SIGTERM, sweep an incomplete upload, a default whose bucket is gone (every
 * result stays local: exit 1), disable.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createTestBucket, createTestS3Client, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_KEY, type CliWorld, createCliWorld, onTerminal, startCli } from './support.js';

interface StatusBody {
  active: { name: string; target: string };
  defaultBackend: string;
  providers: { name: string; enabled: boolean; isDefault: boolean; secrets: Record<string, { set: boolean }> }[];
  targets: { id: string; results: number; bytes: number; current: boolean }[];
  catalog: { total: number; byState: Record<string, number> };
}

describe('stowage against MinIO', () => {
  const s3 = inject('s3');
  let bucket: string;
  let world: CliWorld;
  let client: S3Client;
  const outputs: string[] = [];
  const secretEnv = () => ({ MINIO_SECRET: s3.secretAccessKey });
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = await world.run(args, { env });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const json = async <T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = await world.json<T>(args, { env });
    outputs.push(JSON.stringify(result.body), result.stderr);
    return result;
  };
  const status = async () => (await json<StatusBody>(['status'])).body;
  const target = (body: StatusBody, id: string) => body.targets.find((entry) => entry.id === id);

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'cli');
    client = createTestS3Client(s3);
    world = await createCliWorld();
    await world.addResult('old/a.png', 1500);
    await world.addResult('old/b.png', 2500);
    await world.addResult('new/c.png', 1000);
    await world.addResult('new/d.png', 2000);
    await world.addResult('new/e/f.webp', 3000);
  });
  afterAll(async () => {
    // No output of any step held the secret, whatever it printed.
    for (const output of outputs) expect(output).not.toContain(s3.secretAccessKey);
    client?.destroy();
    await removeTestBucket(s3, bucket);
    await world?.remove();
  });

  it('saves settings with the secret from an environment variable, never shown and encrypted at rest', async () => {
    // Results made while local disk was the default: migrated later.
    expect((await run(['offload', 'old'])).code).toBe(0);
    const saved = await json<{
      provider: { secrets: Record<string, { set: boolean }>; settings: Record<string, unknown> };
    }>(
      [
        'providers',
        'set',
        'minio',
        '--endpoint',
        s3.endpoint,
        '--region',
        s3.region,
        '--bucket',
        bucket,
        '--access-key-id',
        s3.accessKeyId,
        '--secret-from-env',
        'secretAccessKey=MINIO_SECRET',
      ],
      secretEnv(),
    );
    expect(saved.code).toBe(0);
    expect(saved.body.provider.secrets.secretAccessKey).toEqual({ set: true });
    expect(saved.body.provider.settings).toMatchObject({ bucket, endpoint: s3.endpoint });
    const stored = await readFile(world.settingsFile, 'utf8');
    expect(stored).toContain(bucket);
    expect(stored).not.toContain(s3.secretAccessKey);
    expect(stored).not.toContain(APP_KEY);
  });

  it('tests the connection: ok with the saved settings, a wrong secret classified (exit 1)', async () => {
    const ok = await json<{ test: { ok: boolean; steps: { step: string; ok: boolean }[] } }>(['test', 'minio']);
    expect(ok.code).toBe(0);
    expect(ok.body.test.ok).toBe(true);
    expect(ok.body.test.steps.map((step) => step.step)).toEqual(expect.arrayContaining(['write', 'read', 'delete']));

    const wrongSecret = 'wrong-secret-0000000000000000000000000';
    const wrong = await world.run(
      ['providers', 'set', 'minio', '--secret-from-env', 'secretAccessKey=WRONG', '--test'],
      { env: { WRONG: wrongSecret } },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/test connection minio: FAILED at connect \(INVALID_CREDENTIALS\)/);
    expect(wrong.stdout + wrong.stderr).not.toContain(wrongSecret);
    const wrongJson = await json<{ ok: boolean; test: { code: string; failedStep: string } }>(['test', 'minio']);
    expect(wrongJson.code).toBe(1);
    expect(wrongJson.body).toMatchObject({ ok: false, test: { code: 'INVALID_CREDENTIALS', failedStep: 'connect' } });

    const fixed = await run(
      ['providers', 'set', 'minio', '--secret-from-env', 'secretAccessKey=MINIO_SECRET', '--test'],
      secretEnv(),
    );
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('test connection minio: ok');
  });

  it('enables MinIO and makes it the default', async () => {
    const early = await run(['use', 'minio']);
    expect(early.code).toBe(2); // not enabled yet: refused, nothing changed
    expect(early.stderr).toContain('cannot make "minio" the default: enable it first');
    expect((await run(['enable', 'minio'])).code).toBe(0);
    const use = await json<{ active: { name: string; target: string } }>(['use', 'minio']);
    expect(use.code).toBe(0);
    expect(use.body.active).toEqual({ name: 'minio', target: 'minio.1' });
    const body = await status();
    expect(body.defaultBackend).toBe('minio');
    expect(body.providers.find((view) => view.name === 'minio')).toMatchObject({ enabled: true, isDefault: true });
  });

  it('offloads a folder to MinIO and counts it in status and stats', async () => {
    const offload = await run(['offload', 'new']);
    expect(offload.code).toBe(0);
    expect(offload.stdout).toContain('offloaded  new/c.png -> minio:new/c.png');
    expect(offload.stdout).toContain('3 offloaded, 0 on local disk (0 failed) of 3 results');
    // Not a terminal: plain progress lines on stderr.
    expect(offload.stderr).toMatch(/offload: 3\/3 results, 5\.9 KiB\/5\.9 KiB/);
    const body = await status();
    expect(target(body, 'minio.1')).toMatchObject({ results: 3, bytes: 6000, current: true });
    expect(target(body, 'local')).toMatchObject({ results: 2, bytes: 4000 });
    const stats = await json<{ byState: Record<string, number> }>(['stats']);
    expect(stats.body.byState).toMatchObject({ offloaded: 3, local: 2 });
  });

  it('migrates the results kept on local disk to MinIO, after a dry run that moves nothing', async () => {
    const dry = await json<{ state: string; results: { total: number }; bytes: { total: number } }>([
      'migrate',
      '--from',
      'local',
      '--to',
      'minio',
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.body).toMatchObject({ state: 'dry-run', results: { total: 2 }, bytes: { total: 4000 } });
    expect(target(await status(), 'local')?.results).toBe(2);

    // On a terminal: the bar, fed by the library's own migrate:progress events.
    const moved = await onTerminal(world, ['migrate', '--from', 'local', '--to', 'minio']);
    outputs.push(moved.screen);
    expect(moved.code).toBe(0);
    expect(moved.screen).toMatch(/migrate \[[█░]{24}\] 2\/2 \| 3\.9 KiB\/3\.9 KiB \| [\d.]+ (B|KiB|MiB)\/s \| ETA 0s/);
    expect(moved.screen).toContain('moved 2 of 2 results (3.9 KiB) from local to minio.1');
    const body = await status();
    expect(target(body, 'minio.1')).toMatchObject({ results: 5, bytes: 10_000 });
    expect(target(body, 'local')?.results).toBe(0);
  });

  it('reconciles: agreement exits 0; a foreign object and a missing one exit 3; --fix re-queues the missing one', async () => {
    const clean = await json<{ disagreements: number; listed: { objects: number } }>(['reconcile']);
    expect(clean.code).toBe(0);
    expect(clean.body).toMatchObject({ disagreements: 0, listed: { objects: 5 } });

    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'foreign.txt', Body: 'not ours' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'new/d.png' }));
    // Report only (--fix --dry-run changes nothing): both found, exit 3.
    const dry = await json<{
      dryRun: boolean;
      fix: boolean;
      orphans: { count: number };
      missing: { count: number };
      fixes: unknown;
    }>(['reconcile', 'minio', '--fix', '--dry-run']);
    expect(dry.code).toBe(3);
    expect(dry.body).toMatchObject({ dryRun: true, fix: false, orphans: { count: 1 }, missing: { count: 1 } });
    expect(dry.body.fixes).toBeUndefined();
    expect((await status()).catalog.byState.pending).toBe(0);

    const fixed = await json<{ fixes: Record<string, number> }>(['reconcile', '--fix', '--grace', '0']);
    expect(fixed.code).toBe(3);
    expect(fixed.body.fixes).toMatchObject({ requeued: 1, orphansKeptForeign: 1, orphansDeleted: 0 });
    expect((await status()).catalog.byState.pending).toBe(1);
  });

  it('runs the worker, which sends the re-queued result again, until SIGTERM stops it cleanly', async () => {
    const child = startCli(world, ['worker', '--json', '--poll-interval', '200ms', '--no-sweep']);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const stored = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('"event":"offload:stored"')) resolve();
      });
    });
    await stored;
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    outputs.push(stdout, stderr);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; location?: string; ok?: boolean });
    expect(events[0]?.event).toBe('started');
    expect(events).toContainEqual(expect.objectContaining({ event: 'offload:stored', location: 'minio:new/d.png' }));
    expect(events.at(-1)).toMatchObject({ event: 'stopped', ok: true, stored: 1, failed: 0 });
    expect((await json<{ disagreements: number }>(['reconcile', '--no-check-metadata'])).body.disagreements).toBe(1); // the foreign object only
  });

  it('sweeps incomplete uploads: --dry-run names the target, refuses a name the sweep refuses, and aborts nothing', async () => {
    const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'new/crashed.bin' }));
    const pending = async () =>
      (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
    try {
      const dry = await json<{ targets: string[] }>(['sweep', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.body.targets).toEqual(['minio.1']);
      expect((await json<{ targets: string[] }>(['sweep', '--dry-run', '--target', 'minio'])).body.targets).toEqual([
        'minio.1',
      ]);
      // A name the sweep refuses (a typo; a target id the provider never had), the dry run refuses alike.
      for (const name of ['minoi', 'minio.7']) {
        const real = await run(['sweep', '--target', name, '--older-than', '0']);
        const dryRun = await run(['sweep', '--dry-run', '--target', name]);
        expect(real.code).not.toBe(0);
        expect({ code: dryRun.code, stdout: dryRun.stdout, stderr: dryRun.stderr }).toEqual({
          code: real.code,
          stdout: '',
          stderr: real.stderr,
        });
      }
      expect((await run(['sweep', '--target', 'minio.7'])).code).toBe(2);
      const typo = await run(['sweep', '--dry-run', '--target', 'minoi']);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('stowage: sweep: "minoi" is neither a provider nor a target\n');
      expect(await pending()).toBe(1);
      const swept = await json<{ aborted: number; targets: { target: string; aborted: number }[] }>([
        'sweep',
        '--older-than',
        '0',
      ]);
      expect(swept.code).toBe(0);
      expect(swept.body).toMatchObject({ aborted: 1, targets: [{ target: 'minio.1', aborted: 1 }] });
      expect(await pending()).toBe(0);
    } finally {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'new/crashed.bin', UploadId: upload.UploadId }))
        .catch(() => undefined);
    }
  });

  it('exits 1 when every result stays local, with the classified error per result and in stats', async () => {
    await world.addResult('late/g.png', 700);
    const saved = await run(
      [
        'providers',
        'set',
        's3',
        '--provider',
        'minio',
        '--endpoint',
        s3.endpoint,
        '--region',
        s3.region,
        '--bucket',
        `${bucket}-gone`,
        '--access-key-id',
        s3.accessKeyId,
        '--secret-from-env',
        'secretAccessKey=MINIO_SECRET',
      ],
      secretEnv(),
    );
    expect(saved.code).toBe(0);
    expect((await run(['enable', 's3'])).code).toBe(0);
    expect((await run(['use', 's3'])).code).toBe(0);
    const offload = await json<{
      ok: boolean;
      summary: Record<string, number>;
      results: { error?: { code: string } }[];
    }>(['offload', 'late/g.png']);
    expect(offload.code).toBe(1);
    expect(offload.body).toMatchObject({ ok: false, summary: { total: 1, local: 1, failed: 1 } });
    expect(offload.body.results[0]?.error?.code).toBe('BUCKET_NOT_FOUND');
    const stats = await json<{ recentFailures: { code: string; count: number }[] }>(['stats', '--since', '1h']);
    expect(stats.body.recentFailures).toContainEqual({ code: 'BUCKET_NOT_FOUND', count: 1 });
    expect((await run(['use', 'minio'])).code).toBe(0);
  });

  it('disables MinIO: new results go to local disk, stored ones keep their target', async () => {
    expect((await run(['disable', 'minio'])).code).toBe(0);
    const body = await status();
    expect(body.active.name).toBe('local');
    expect(target(body, 'minio.1')?.results).toBe(5);
  });
});
