import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import {
  containerRuntimeAvailable,
  createTestS3Client,
  s3TestServerFromEnv,
  startMinioProcess,
  startS3TestServer,
} from '../src/index.js';

/** Resolves true when something accepts TCP connections at `endpoint`. */
function portOpen(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startMinioProcess', () => {
  it('starts a healthy MinIO on loopback and leaves nothing behind when stopped', async () => {
    const minio = await startMinioProcess();
    const { info } = minio;
    try {
      expect(info.source).toBe('process');
      expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.endpoint).not.toBe(inject('s3').endpoint);
      expect((await fetch(`${info.endpoint}/minio/health/live`)).status).toBe(200);
      expect(existsSync(minio.dataDir)).toBe(true);
      const client = createTestS3Client(info);
      const buckets = await client.send(new ListBucketsCommand({}));
      client.destroy();
      expect(buckets.Buckets ?? []).toEqual([]);
    } finally {
      await minio.stop();
    }
    expect(await portOpen(info.endpoint)).toBe(false);
    expect(existsSync(minio.dataDir)).toBe(false);
    expect(processAlive(minio.pid)).toBe(false);
    await minio.stop();
  });

  it('kill() takes the server down keeping its data, start() brings it back on the same port and data', async () => {
    const minio = await startMinioProcess();
    const client = createTestS3Client(minio.info, minio.info, { maxAttempts: 1 });
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'kept' }));
      await client.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'still here' }));
      const first = minio.pid;
      await minio.kill();
      expect(processAlive(first)).toBe(false);
      expect(await portOpen(minio.info.endpoint)).toBe(false);
      expect(existsSync(minio.dataDir)).toBe(true);
      await minio.start();
      expect(minio.pid).not.toBe(first);
      const object = await client.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a.txt' }));
      expect(await object.Body?.transformToString()).toBe('still here');
      await minio.start(); // running: nothing to do
    } finally {
      client.destroy();
      await minio.stop();
    }
    expect(existsSync(minio.dataDir)).toBe(false);
    await expect(minio.start()).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('gives each server its own random root credentials', async () => {
    const [a, b] = await Promise.all([startMinioProcess(), startMinioProcess()]);
    try {
      expect(a.info.accessKeyId).not.toBe(b.info.accessKeyId);
      expect(a.info.secretAccessKey).not.toBe(b.info.secretAccessKey);
      const wrongKeys = createTestS3Client(a.info, b.info, { maxAttempts: 1 });
      await expect(wrongKeys.send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'InvalidAccessKeyId',
      });
      wrongKeys.destroy();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('serves the console on its own port only when asked', async () => {
    const minio = await startMinioProcess({ console: true, region: 'eu-west-3' });
    try {
      expect(minio.info.region).toBe('eu-west-3');
      expect(minio.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await portOpen(minio.consoleUrl as string)).toBe(true);
    } finally {
      await minio.stop();
    }
    expect(await portOpen(minio.consoleUrl as string)).toBe(false);
  });

  it('says how to install MinIO when the binary is missing, before starting anything', async () => {
    await expect(startMinioProcess({ binary: '/nonexistent/minio' })).rejects.toMatchObject({
      code: 'MISCONFIGURED',
      message: expect.stringMatching(
        /not an executable file: \/nonexistent\/minio.*STOWAGE_MINIO_BIN.*go install github\.com\/minio\/minio@v0\.0\.0-/,
      ),
    });
  });

  it('reports the program output when the binary exits instead of serving', async () => {
    // mc is a real program but not a server: it rejects the "server" command and exits.
    const mc = process.env.STOWAGE_MC_BIN;
    expect(mc, 'STOWAGE_MC_BIN must be set (scripts/lib/test-servers.sh)').toBeTruthy();
    await expect(startMinioProcess({ binary: mc as string })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/MinIO exited before becoming healthy[\s\S]*not a recognized command/),
    });
  });

  it('rejects invalid options, naming each problem', async () => {
    await expect(
      startMinioProcess({ accessKeyId: 'ab', secretAccessKey: 'short', startTimeoutMs: 0 }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/accessKeyId .*; secretAccessKey .*; startTimeoutMs/),
    });
  });
});

describe('startS3TestServer', () => {
  it('uses a container when a container engine answers, else a local MinIO process', async () => {
    const expected = (await containerRuntimeAvailable()) ? 'container' : 'process';
    const server = await startS3TestServer({ env: {} });
    try {
      expect(server.info.source).toBe(expected);
      const client = createTestS3Client(server.info);
      await client.send(new ListBucketsCommand({}));
      client.destroy();
    } finally {
      await server.stop();
    }
  });
});

describe('s3TestServerFromEnv', () => {
  it('uses an existing server named by STOWAGE_TEST_S3_* variables', () => {
    const server = s3TestServerFromEnv({
      STOWAGE_TEST_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      STOWAGE_TEST_S3_ACCESS_KEY_ID: 'key',
      STOWAGE_TEST_S3_SECRET_ACCESS_KEY: 'secret-value',
      STOWAGE_TEST_S3_REGION: 'eu-central-1',
    });
    expect(server?.info).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-1',
      accessKeyId: 'key',
      secretAccessKey: 'secret-value',
      source: 'env',
    });
  });

  it('is not used when no variable is set', () => {
    expect(s3TestServerFromEnv({})).toBeUndefined();
  });

  it('names the missing variables when only some are set, without echoing the secret', () => {
    const attempt = () =>
      s3TestServerFromEnv({
        STOWAGE_TEST_S3_ENDPOINT: 'http://127.0.0.1:9000',
        STOWAGE_TEST_S3_SECRET_ACCESS_KEY: 'hush-hush',
      });
    expect(attempt).toThrow(/incomplete: set STOWAGE_TEST_S3_ACCESS_KEY_ID too/);
    expect(attempt).not.toThrow(/hush-hush/);
  });
});
