/**
 * The main job, end to end: `node examples/offload-demo/demo.mjs` as a user runs
 * it (built dist/ code): with no credentials against the local folders it
 * serves itself, and against MinIO through environment variables or a settings
 * file, as it would go to R2 or any S3 provider.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  allowAnonymousRead,
  createTestBucket,
  createTestS3Client,
  removeTestBucket,
} from '../../../packages/testing/src/index.js';

const DEMO = fileURLToPath(new URL('../demo.mjs', import.meta.url));

interface DemoRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function demo(env: Record<string, string>): Promise<DemoRun> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(STOWAGE_|R2_|S3_)/.test(name)),
  ) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(process.execPath, [DEMO], { env: { ...clean, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir`, relative, skipping the local driver's metadata folder. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .filter((path) => !path.startsWith('.'))
    .sort();
}

describe('the demo shows the life cycle', () => {
  const s3 = inject('s3');
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'demo');
    dir = await mkdtemp(join(tmpdir(), 'stowage-demo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await removeTestBucket(s3, bucket);
  });

  it('with no credentials: offloads with variants, serves every URL, switches, migrates and reconciles', async () => {
    const demoDir = join(dir, 'local');
    const { code, stdout } = await demo({ STOWAGE_DEMO_DIR: demoDir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/default backend: nas\n/);
    expect(stdout.match(/went to nas:\S+ \(offloaded; verified: /g)).toHaveLength(3);
    expect(
      stdout.match(
        /variant (thumb|poster): GET http:\/\/127\.0\.0\.1:\d+\/nas\/\S+ -> 200, \d+ bytes, image\/png, bytes match/g,
      ),
    ).toHaveLength(3);
    expect(stdout).toMatch(
      /original: GET \S+\/nas\/videos\/demo\/[0-9a-f]{8}\/clip\.mp4 -> 200, 3145728 bytes, video\/mp4, bytes match/,
    );
    expect(stdout).toMatch(/default backend: archive\n/);
    expect(stdout).toMatch(/went to archive:images\/demo\/[0-9a-f]{8}\/forest\.png/);
    expect(stdout).toMatch(
      /URLs handed out before the switch still serve:(\n {4}\S+: GET \S+\/nas\/\S+ -> 200, .*bytes match){3}/,
    );
    expect(stdout).toMatch(/dry run: 3 results, \d+ bytes would move; nothing touched/);
    expect(stdout).toMatch(/done: 3 of 3 results moved \(\d+ bytes, \d+ ms\), 0 failed/);
    expect(stdout.match(/nas:\S+( variant \w+)?: GET \S+\/archive\/\S+ -> 200, .*bytes match/g)).toHaveLength(6);
    expect(stdout).toMatch(/listed 8 objects \(\d+ bytes\), recorded 8 files; orphans 0, missing 0, mismatched 0/);
    expect(stdout).toMatch(
      /4 of 4 results offloaded and verified; 17 of 17 URLs served the recorded bytes; 3 results migrated; the catalog agrees with "archive"/,
    );
    expect(stdout).not.toMatch(/NOT the recorded bytes|fetch failed/);

    // What the output says is what is on the disks: the results disk emptied, both copies of the migrated ones.
    expect(await filesUnder(join(demoDir, 'results'))).toEqual([]);
    expect(await filesUnder(join(demoDir, 'nas'))).toHaveLength(6);
    expect(await filesUnder(join(demoDir, 'archive'))).toHaveLength(8);
  });

  it('with S3 settings in the environment: the bucket is the new default, reached through signed URLs', async () => {
    const demoDir = join(dir, 'minio');
    const { code, stdout, stderr } = await demo({
      STOWAGE_DEMO_DIR: demoDir,
      STOWAGE_BACKEND: 'minio',
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_KEY_PREFIX: 'from-env',
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/3\. Switch the default to "minio" \(settings from environment\)/);
    expect(stdout).toMatch(/default backend: minio\n/);
    expect(stdout).toMatch(/went to minio:images\/demo\/[0-9a-f]{8}\/forest\.png \(offloaded; verified: size, and MD5/);
    expect(
      stdout.match(/GET http:\/\/127\.0\.0\.1:\d+\/demo\S*\/from-env\/\S+\?<signature> -> 200, .*bytes match/g),
    ).toHaveLength(2 + 6);
    expect(stdout).toMatch(/listed 8 objects \(\d+ bytes\), recorded 8 files; orphans 0, missing 0, mismatched 0/);
    expect(stdout).toMatch(
      /17 of 17 URLs served the recorded bytes; 3 results migrated; the catalog agrees with "minio"/,
    );
    expect(stdout + stderr).not.toContain(s3.secretAccessKey);
    expect(await readFile(join(demoDir, 'settings.json'), 'utf8')).not.toContain(s3.secretAccessKey);

    const client = createTestS3Client(s3);
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'from-env/' }));
      expect(
        (listed.Contents ?? []).map((object) => object.Key).filter((key) => !key?.includes('.stowage-probe')),
      ).toHaveLength(8);
    } finally {
      client.destroy();
    }
  });

  it('takes provider settings from a settings file, and serves public URLs from the bucket', async () => {
    await allowAnonymousRead(s3, bucket);
    const publicBase = `${s3.endpoint}/${bucket}`;
    const settingsFile = join(dir, 'minio-settings.json');
    await writeFile(
      settingsFile,
      JSON.stringify({
        backend: 'minio',
        settings: {
          endpoint: s3.endpoint,
          bucket,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
          publicBaseUrl: publicBase,
          keyPrefix: 'from-file',
        },
      }),
    );
    const { code, stdout } = await demo({ STOWAGE_DEMO_DIR: join(dir, 'file'), STOWAGE_SETTINGS_FILE: settingsFile });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Switch the default to "minio" \(settings from .*minio-settings\.json\)/);
    expect(stdout).toContain(`GET ${publicBase}/from-file/images/demo/`);
    expect(stdout).toMatch(/the catalog agrees with "minio"/);
  });

  it('stops with the reason when the public URL does not serve the bucket (no false success)', async () => {
    const settingsFile = join(dir, 'unserved-settings.json');
    await writeFile(
      settingsFile,
      JSON.stringify({
        backend: 'minio',
        settings: {
          endpoint: s3.endpoint,
          bucket,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
          publicBaseUrl: 'https://media.example.invalid',
        },
      }),
    );
    const { code, stdout } = await demo({
      STOWAGE_DEMO_DIR: join(dir, 'unserved'),
      STOWAGE_SETTINGS_FILE: settingsFile,
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/test connection failed: Fetching the probe object through the public URL failed/);
    expect(stdout).toMatch(/keeping "nas" as the default backend; stopping here/);
  });

  it('explains a rejected secret without showing it', async () => {
    const wrongSecret = 'definitely-not-the-secret-0123456789';
    const { code, stdout, stderr } = await demo({
      STOWAGE_DEMO_DIR: join(dir, 'wrong'),
      STOWAGE_BACKEND: 'minio',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: wrongSecret,
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/test connection failed: .*credentials/i);
    expect(stdout + stderr).not.toContain(wrongSecret);
  });

  it('names every bad setting and exits with status 2', async () => {
    const { code, stderr } = await demo({ STOWAGE_DEMO_DIR: join(dir, 'bad'), STOWAGE_BACKEND: 'r2', R2_BUCKET: 'b' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/accessKeyId: required[\s\S]*secretAccessKey: required/);
  });
});
