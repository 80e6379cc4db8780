/**
 * The connection timeout really throws: a connect that hangs (SYNs dropped by
 * a full accept queue on 127.0.0.1, see support/unaccepting-listener.ts) fails
 * with TIMEOUT after about connectionTimeoutMs, long before the request timeout.
 */
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Driver, type S3SettingsInput } from '../src/index.js';
import { startUnacceptingListener, type UnacceptingListener } from './support/unaccepting-listener.js';

const CONNECT_MS = 600;
const REQUEST_MS = 8_000;
let listener: UnacceptingListener;

beforeAll(async () => {
  listener = await startUnacceptingListener();
});
afterAll(async () => {
  await listener?.close();
});

function hangingDriver(overrides: Partial<S3SettingsInput> = {}) {
  return createS3Driver({
    provider: 'minio',
    endpoint: `http://${listener.host}:${listener.port}`,
    bucket: 'never-reached',
    accessKeyId: 'AKIDSTOWAGEEXAMPLE',
    secretAccessKey: 'connection-timeout-test-secret',
    retries: 0,
    connectionTimeoutMs: CONNECT_MS,
    requestTimeoutMs: REQUEST_MS,
    idleTimeoutMs: REQUEST_MS,
    ...overrides,
  });
}

async function failureOf(operation: () => Promise<unknown>): Promise<{ error: StorageError; elapsedMs: number }> {
  const started = Date.now();
  try {
    await operation();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return { error: error as StorageError, elapsedMs: Date.now() - started };
  }
  throw new Error('the operation succeeded against a port that never accepts');
}

describe('connection timeout', () => {
  it('a connect that hangs fails with TIMEOUT after connectionTimeoutMs, not the request timeout', async () => {
    const driver = hangingDriver();
    try {
      const { error, elapsedMs } = await failureOf(() => driver.stat('photos/cat.png'));
      expect(error.code).toBe(ErrorCode.Timeout);
      expect(elapsedMs).toBeGreaterThanOrEqual(CONNECT_MS - 50);
      expect(elapsedMs).toBeLessThan(CONNECT_MS + 1_500);
      expect(String((error.cause as Error | undefined)?.message)).toMatch(/did not establish a connection/i);
      expect(error.message).not.toContain('connection-timeout-test-secret');
    } finally {
      await driver.close();
    }
  });

  it('a write into a hanging connect fails with TIMEOUT just as fast', async () => {
    const driver = hangingDriver();
    try {
      const { error, elapsedMs } = await failureOf(() => driver.write('photos/cat.png', Buffer.from('bytes')));
      expect(error.code).toBe(ErrorCode.Timeout);
      expect(elapsedMs).toBeLessThan(CONNECT_MS + 1_500);
    } finally {
      await driver.close();
    }
  });

  it('the probe names the connect step and TIMEOUT', async () => {
    const driver = hangingDriver();
    try {
      const started = Date.now();
      const report = await driver.probe();
      expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: ErrorCode.Timeout });
      expect(Date.now() - started).toBeLessThan(CONNECT_MS + 1_500);
    } finally {
      await driver.close();
    }
  });
});
