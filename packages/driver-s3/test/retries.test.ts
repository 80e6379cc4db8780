/**
 * The driver's single retry layer, proven with real faults: toxiproxy sits
 * between the driver and MinIO and resets connections until the first failed
 * attempt has been seen, then the fault is removed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCode, isStorageError, streamToBuffer } from '@stowage/storage-core';
import { createS3Proxy, createTestBucket, removeTestBucket, type ToxiproxyProxy } from '@stowage/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const toxiproxy = await fileToxiproxy();

const server = inject('s3');
let bucket: string;
let direct: S3Driver;
let proxy: ToxiproxyProxy;
let endpoint: string;
let dir: string;

/** Failed attempts the driver reported before retrying, with their codes. */
let retried: string[];
/** When true, the fault is removed as soon as the first retry is announced. */
let healOnRetry: boolean;

function proxiedDriver(retries = 3): S3Driver {
  return createS3Driver(
    {
      ...minioSettings(server, bucket, endpoint),
      retries,
      retryDelayMs: 50,
    },
    {
      onRetry: async (error) => {
        retried.push(isStorageError(error) ? error.code : 'not a StorageError');
        if (healOnRetry) await proxy.removeAllToxics();
      },
    },
  );
}

async function resetConnections(): Promise<void> {
  await proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 }, stream: 'upstream' });
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-retries');
  direct = createS3Driver({
    ...minioSettings(server, bucket),
  });
  await direct.write('seed.txt', 'seeded');
  dir = await mkdtemp(join(tmpdir(), 'stowage-retries-'));
});
afterAll(async () => {
  await direct.close();
  await removeTestBucket(server, bucket);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  ({
    proxy,
    info: { endpoint },
  } = await createS3Proxy(toxiproxy, server));
  retried = [];
  healOnRetry = true;
});
afterEach(async () => {
  await proxy.delete();
});

describe('retries through a faulty network', () => {
  it('retries a stat after a connection reset, once, and succeeds', async () => {
    const driver = proxiedDriver();
    await resetConnections();
    expect((await driver.stat('seed.txt')).size).toBe(6);
    expect(retried).toEqual([ErrorCode.Unavailable]);
    await driver.close();
  });

  it('retries a write of bytes (re-openable) and stores the body once', async () => {
    const driver = proxiedDriver();
    await resetConnections();
    const result = await driver.write('bytes.txt', Buffer.from('retried bytes'));
    expect(result.checksum).toBe('md5');
    expect(retried).toEqual([ErrorCode.Unavailable]);
    expect((await streamToBuffer(await direct.read('bytes.txt'))).toString()).toBe('retried bytes');
    await driver.close();
  });

  it('retries a write from a file by opening the file again', async () => {
    const path = join(dir, 'source.bin');
    await writeFile(path, 'file body, read twice');
    const driver = proxiedDriver();
    await resetConnections();
    await driver.write('from-file.bin', { filePath: path });
    expect(retried).toEqual([ErrorCode.Unavailable]);
    expect((await streamToBuffer(await direct.read('from-file.bin'))).toString()).toBe('file body, read twice');
    await driver.close();
  });

  it('attempts a stream body exactly once: no retry, UNAVAILABLE, nothing stored', async () => {
    const driver = proxiedDriver();
    await resetConnections();
    const error = await driver.write('stream.txt', Readable.from([Buffer.from('one-shot stream')])).catch((e) => e);
    expect(isStorageError(error, ErrorCode.Unavailable)).toBe(true);
    expect(retried).toEqual([]);
    expect(await direct.exists('stream.txt')).toBe(false);
    await driver.close();
  });

  it('gives up after the configured retries with the last classified error', async () => {
    healOnRetry = false;
    const driver = proxiedDriver(2);
    await resetConnections();
    await expect(driver.stat('seed.txt')).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    expect(retried).toEqual([ErrorCode.Unavailable, ErrorCode.Unavailable]);
    await driver.close();
  });

  it('stops waiting for the next attempt as soon as the caller aborts', async () => {
    const controller = new AbortController();
    const driver = createS3Driver(
      {
        ...minioSettings(server, bucket, endpoint),
        retries: 5,
        retryDelayMs: 10_000,
      },
      { onRetry: () => controller.abort(new Error('user navigated away')) },
    );
    await resetConnections();
    const started = Date.now();
    await expect(driver.read('seed.txt', { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.Aborted,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    await driver.close();
  });

  it('does not retry what repeating cannot fix (NOT_FOUND)', async () => {
    const driver = proxiedDriver();
    await expect(driver.stat('missing.txt')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(retried).toEqual([]);
    await driver.close();
  });
});

describe('failures while reading a body', () => {
  it('a connection cut mid-body fails the stream with a classified UNAVAILABLE error', async () => {
    // Large enough that socket and proxy buffers cannot hold the rest of the body when the fault starts.
    await direct.write('large-read.bin', Buffer.alloc(32 * 1024 * 1024, 7));
    const driver = proxiedDriver(0);
    const stream = await driver.read('large-read.bin');
    await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 1 } });
    await proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 }, name: 'reset_during_body' });
    const error = await streamToBuffer(stream).catch((caught: unknown) => caught);
    expect(isStorageError(error, ErrorCode.Unavailable)).toBe(true);
    expect((error as Error).message).toContain('read "large-read.bin"');
    await driver.close();
  });
});

describe('timeouts that really throw', () => {
  function timedDriver(timeouts: { requestTimeoutMs?: number; idleTimeoutMs?: number }): S3Driver {
    return createS3Driver({
      ...minioSettings(server, bucket, endpoint),
      retries: 0,
      ...timeouts,
    });
  }

  it('a request timeout fails a stalled request with TIMEOUT', async () => {
    const driver = timedDriver({ requestTimeoutMs: 400, idleTimeoutMs: 0 });
    await proxy.addToxic({ type: 'latency', attributes: { latency: 5_000 } });
    const started = Date.now();
    await expect(driver.stat('seed.txt')).rejects.toMatchObject({ code: ErrorCode.Timeout });
    expect(Date.now() - started).toBeLessThan(4_000);
    await driver.close();
  });

  it('an idle timeout fails a connection that stops sending with TIMEOUT', async () => {
    const driver = timedDriver({ requestTimeoutMs: 0, idleTimeoutMs: 400 });
    await proxy.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    const started = Date.now();
    await expect(driver.stat('seed.txt')).rejects.toMatchObject({ code: ErrorCode.Timeout });
    expect(Date.now() - started).toBeLessThan(4_000);
    await driver.close();
  });
});
