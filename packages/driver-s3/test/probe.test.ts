/**
 * "Test connection" against real MinIO, one failure class per test, with users
 * and policies made through `mc admin`. Every report is checked for the secret.
 */
import { createServer } from 'node:net';
import type { ProbeReport } from '@stowage/storage-core';
import { createMinioUser, createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3DriverOptions, type S3SettingsInput } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
let bucket: string;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-probe');
});
afterAll(async () => {
  await removeTestBucket(server, bucket);
});

async function probeWith(overrides: Partial<S3SettingsInput>, options: S3DriverOptions = {}): Promise<ProbeReport> {
  const settings = {
    ...minioSettings(server, bucket),
    retries: 0,
    ...overrides,
  } as S3SettingsInput;
  const driver = createS3Driver(settings, options);
  try {
    const report = await driver.probe();
    expect(JSON.stringify(report)).not.toContain(settings.secretAccessKey);
    return report;
  } finally {
    await driver.close();
  }
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('probe against MinIO', () => {
  it('passes every step with working credentials and leaves no probe object behind', async () => {
    const report = await probeWith({});
    expect(report.ok).toBe(true);
    expect(report.steps.map((step) => step.step)).toEqual(['connect', 'write', 'read', 'compare', 'delete']);
    expect(report.message).toMatch(/Connection OK/);
    const driver = createS3Driver({
      ...minioSettings(server, bucket),
    });
    const left = [];
    for await (const entry of driver.list('')) left.push(entry.key);
    await driver.close();
    expect(left).toEqual([]);
  });

  it('names a wrong secret as rejected credentials at the connect step', async () => {
    const report = await probeWith({ secretAccessKey: 'definitely-not-the-secret' });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'INVALID_CREDENTIALS' });
    expect(report.message).toMatch(/Re-check the Access Key ID and Secret Access Key/);
    expect(report.message).toMatch(/SignatureDoesNotMatch/);
  });

  it('names an unknown access key as rejected credentials', async () => {
    const report = await probeWith({ accessKeyId: 'NOSUCHKEY123', secretAccessKey: 'whatever-secret-123' });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'INVALID_CREDENTIALS' });
    expect(report.message).toMatch(/InvalidAccessKeyId/);
  });

  it('names a missing bucket', async () => {
    const report = await probeWith({ bucket: `${bucket}-missing` });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'BUCKET_NOT_FOUND' });
    expect(report.message).toMatch(/the bucket does not exist/);
  });

  it('says "Upload succeeded but the object could not be read back" for write-only credentials', async () => {
    const user = await createMinioUser(server, { policy: { actions: ['s3:PutObject', 's3:DeleteObject'] }, bucket });
    const report = await probeWith(user);
    expect(report).toMatchObject({ ok: false, failedStep: 'read', code: 'ACCESS_DENIED' });
    expect(report.message).toMatch(/^Upload succeeded but the object could not be read back/);
    // The connect step's listing was denied too, and that alone did not fail the probe.
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['connect', true],
      ['write', true],
      ['read', false],
    ]);
    expect(JSON.stringify(report)).not.toContain(user.secretAccessKey);
  });

  it('says the credentials may not upload for read-only credentials', async () => {
    const user = await createMinioUser(server, { policy: 'read-only', bucket });
    const report = await probeWith(user);
    expect(report).toMatchObject({ ok: false, failedStep: 'write', code: 'ACCESS_DENIED' });
    expect(report.message).toMatch(/not allowed to upload/);
  });

  it('says the endpoint is unreachable when nothing listens there', async () => {
    const report = await probeWith({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'UNAVAILABLE' });
    expect(report.message).toMatch(/could not be reached/);
    expect(report.message).toMatch(/ECONNREFUSED/);
  });

  it('reports a TLS failure for an https endpoint on the plain-http port', async () => {
    const report = await probeWith({ endpoint: server.endpoint.replace(/^http:/, 'https:') });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'TLS' });
    expect(report.message).toMatch(/secure \(TLS\) connection failed/);
  });

  it('reports clock skew when the local clock is an hour off', async () => {
    const report = await probeWith({}, { client: { systemClockOffset: -60 * 60 * 1000 } });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: 'CLOCK_SKEW' });
    expect(report.message).toMatch(/Synchronise the clock/);
  });

  it('refuses settings without an endpoint at construction, before any network call', () => {
    expect(() => createS3Driver({ provider: 'minio', bucket, accessKeyId: 'a', secretAccessKey: 'b' })).toThrow(
      /endpoint: required/,
    );
  });
});
