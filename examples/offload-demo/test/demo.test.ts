/**
 * The main job, end to end: `node examples/offload-demo/demo.mjs` as a user runs
 * it (built dist/ code), on local disk out of the box and against MinIO through
 * environment variables, as it would go to R2 or any S3 provider.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allowAnonymousRead, createTestBucket, removeTestBucket } from '../../../packages/testing/src/index.js';

const DEMO = fileURLToPath(new URL('../demo.mjs', import.meta.url));
const run = promisify(execFile);

async function demo(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(STOWAGE_|R2_|S3_)/.test(name)),
  ) as Record<string, string>;
  return run(process.execPath, [DEMO], { env: { ...clean, ...env }, timeout: 60_000 });
}

describe('offload demo', () => {
  const s3 = inject('s3');
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'offload-demo');
    dir = await mkdtemp(join(tmpdir(), 'stowage-demo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await removeTestBucket(s3, bucket);
  });

  it('keeps results on local disk out of the box and prints their locations and URLs', async () => {
    const { stdout } = await demo({ STOWAGE_DEMO_DIR: join(dir, 'local') });
    expect(stdout).toMatch(/new results go to: local/);
    expect(stdout.match(/went to {3}local:(images|videos)\/demo\/[0-9a-f]{8}\/\w+\.(png|mp4)/g)).toHaveLength(3);
    expect(stdout).toMatch(/url {7}http:\/\/localhost:3000\/results\/images\/demo\//);
    expect(stdout).toMatch(/0 of 3 results offloaded/);
  });

  it('offloads to an S3 provider configured through environment variables, and remembers it', async () => {
    const demoDir = join(dir, 'minio');
    const { stdout, stderr } = await demo({
      STOWAGE_DEMO_DIR: demoDir,
      STOWAGE_BACKEND: 'minio',
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      STOWAGE_DELETE_LOCAL: 'true',
    });
    expect(stdout).toMatch(/test connection: Connection OK/);
    expect(stdout.match(/went to {3}minio:\S+ \(offloaded, verified\)/g)).toHaveLength(3);
    expect(stdout.match(/local {5}deleted after verification/g)).toHaveLength(3);
    expect(stdout).toMatch(/url {7}http:\/\/127\.0\.0\.1:\d+\/offload-demo\S+ \(signed, expires /);
    expect(stdout).toMatch(/3 of 3 results offloaded/);
    expect(stdout + stderr).not.toContain(s3.secretAccessKey);
    const settings = await readFile(join(demoDir, 'settings.json'), 'utf8');
    expect(settings).not.toContain(s3.secretAccessKey);

    // A second run with no settings in the environment uses the stored default.
    const again = await demo({ STOWAGE_DEMO_DIR: demoDir });
    expect(again.stdout).toMatch(/default backend: minio; new results go to: minio/);
    expect(again.stdout).toMatch(/3 of 3 results offloaded/);
    const locations = JSON.parse(await readFile(join(demoDir, 'locations.json'), 'utf8')) as Record<string, string>;
    expect(Object.values(locations)).toHaveLength(6);
    expect(Object.values(locations).every((location) => location.startsWith('minio:'))).toBe(true);
  });

  it('takes provider settings from a settings file', async () => {
    // Test connection fetches through the public base URL, so it must really serve the bucket.
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
    const { stdout } = await demo({ STOWAGE_DEMO_DIR: join(dir, 'file'), STOWAGE_SETTINGS_FILE: settingsFile });
    expect(stdout).toMatch(/configuring "minio" from .*minio-settings\.json/);
    expect(stdout.match(/went to {3}minio:\S+ \(offloaded, verified\)/g)).toHaveLength(3);
    expect(stdout).toContain(`url       ${publicBase}/from-file/images/demo/`);
    expect(stdout).toMatch(/\/from-file\/images\/demo\/[0-9a-f]{8}\/sunrise\.png\n/);
    expect(stdout).toMatch(/local {5}kept/);
  });

  it('keeps results local when the public URL does not serve the bucket (no false success)', async () => {
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
    const { stdout } = await demo({ STOWAGE_DEMO_DIR: join(dir, 'unserved'), STOWAGE_SETTINGS_FILE: settingsFile });
    expect(stdout).toMatch(/test connection failed: Fetching the probe object through the public URL failed/);
    expect(stdout).toMatch(/keeping "local" as the default backend/);
    expect(stdout).toMatch(/0 of 3 results offloaded/);
  });

  it('keeps results local and explains why when the provider rejects the credentials', async () => {
    const wrongSecret = 'definitely-not-the-secret-0123456789';
    const { stdout, stderr } = await demo({
      STOWAGE_DEMO_DIR: join(dir, 'wrong'),
      STOWAGE_BACKEND: 'minio',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: wrongSecret,
    });
    expect(stdout).toMatch(/test connection failed: .*credentials/i);
    expect(stdout).toMatch(/keeping "local" as the default backend/);
    expect(stdout).toMatch(/0 of 3 results offloaded/);
    expect(stdout + stderr).not.toContain(wrongSecret);
  });

  it('names every bad setting and exits with status 2', async () => {
    const attempt = demo({ STOWAGE_DEMO_DIR: join(dir, 'bad'), STOWAGE_BACKEND: 'r2', R2_BUCKET: 'b' });
    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/accessKeyId: required[\s\S]*secretAccessKey: required/),
    });
  });
});
