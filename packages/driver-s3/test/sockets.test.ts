/**
 * Sockets are sized to the writes the driver runs at once: maxConcurrentWrites
 * × queueSize parts plus headroom. Proven on the real keep-alive agent, with
 * real multipart writes to MinIO slowed by toxiproxy so every part overlaps.
 */
import type { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createS3Proxy, createTestBucket, removeTestBucket, type ToxiproxyProxy } from '@stowage/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { fileToxiproxy } from '../../../test-support/file-toxiproxy.js';
import {
  createS3Driver,
  maxSocketsFor,
  type S3Driver,
  type S3DriverOptions,
  type S3SettingsInput,
  SOCKET_HEADROOM,
} from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const toxiproxy = await fileToxiproxy();

const MiB = 1024 * 1024;
const server = inject('s3');
let bucket: string;
let proxy: ToxiproxyProxy;
let proxiedEndpoint: string;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-sockets');
  const proxied = await createS3Proxy(toxiproxy, server);
  proxy = proxied.proxy;
  proxiedEndpoint = proxied.info.endpoint;
});
afterAll(async () => {
  await proxy?.delete();
  await removeTestBucket(server, bucket);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await proxy.removeAllToxics();
});

function driverFor(settings: Partial<S3SettingsInput> = {}, options: S3DriverOptions = {}): S3Driver {
  return createS3Driver(
    {
      ...minioSettings(server, bucket),
      ...settings,
    },
    options,
  );
}

/** The http agent the driver's handler really uses (it exists once a request was made). */
function httpAgentOf(driver: S3Driver): Agent {
  const handler = driver.client.config.requestHandler as NodeHttpHandler;
  const agent = handler.httpHandlerConfigs().httpAgent as Agent | undefined;
  if (!agent) throw new Error('the handler has no http agent yet: make a request first');
  return agent;
}

const countAll = (byOrigin: NodeJS.ReadOnlyDict<readonly unknown[]>) =>
  Object.values(byOrigin).reduce((total, list) => total + (list?.length ?? 0), 0);

describe('socket pool size', () => {
  it('defaults to 4 writes × 4 parts + headroom', async () => {
    const driver = driverFor();
    try {
      await driver.exists('nothing-here.txt');
      expect(httpAgentOf(driver).maxSockets).toBe(4 * 4 + SOCKET_HEADROOM);
    } finally {
      await driver.close();
    }
  });

  it('follows maxConcurrentWrites × queueSize + headroom', async () => {
    const driver = driverFor({ maxConcurrentWrites: 6, queueSize: 3 });
    try {
      await driver.exists('nothing-here.txt');
      expect(httpAgentOf(driver).maxSockets).toBe(6 * 3 + SOCKET_HEADROOM);
      expect(maxSocketsFor({ maxConcurrentWrites: 6, queueSize: 3 })).toBe(26);
    } finally {
      await driver.close();
    }
  });

  it('rejects a maxConcurrentWrites that is not a whole number of at least 1, naming the field', () => {
    expect(() => driverFor({ maxConcurrentWrites: 0 })).toThrow(/maxConcurrentWrites: must be at least 1/);
    expect(() => driverFor({ maxConcurrentWrites: 2.5 })).toThrow(/maxConcurrentWrites: must be a whole number/);
  });

  it('runs maxConcurrentWrites multipart writes with every part on its own socket, none queued, no capacity warning', {
    timeout: 60_000,
  }, async () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    const usage = await measureConcurrentWrites({ writes: 4, maxConcurrentWrites: 4, queueSize: 4 });
    expect(usage.peakSockets, 'parts in flight at once').toBe(4 * 4);
    expect(usage.peakQueued, 'requests that waited for a socket').toBe(0);
    expect(usage.sdkWarnings).toEqual([]);
    expect(warnings.filter((line) => line.includes('socket usage at capacity'))).toEqual([]);
  });

  it('with maxConcurrentWrites below the real concurrency, parts do wait for sockets (what the setting prevents)', {
    timeout: 60_000,
  }, async () => {
    const usage = await measureConcurrentWrites({ writes: 4, maxConcurrentWrites: 1, queueSize: 4 });
    expect(usage.maxSockets).toBe(1 * 4 + SOCKET_HEADROOM);
    expect(usage.peakSockets).toBe(usage.maxSockets);
    expect(usage.peakQueued).toBeGreaterThan(0);
  });
});

/**
 * Runs `writes` multipart writes at once through a slow link and samples the
 * driver's agent: the most sockets in use, the most requests queued for one,
 * and what the SDK's own capacity check (run on every sample) warned.
 */
async function measureConcurrentWrites(shape: { writes: number; maxConcurrentWrites: number; queueSize: number }) {
  // 4 parts per write (5 + 5 + 5 + 1 MiB), so each write keeps up to 4 parts in flight.
  const body = Buffer.alloc(16 * MiB, 7);
  // Without `Expect: 100-continue` (as on R2): the SDK sends bodies that carry it through a
  // throw-away agent of its own (https://github.com/smithy-lang/smithy-typescript/issues/1754), so only then do parts use this pool.
  const driver = driverFor(
    {
      endpoint: proxiedEndpoint,
      maxConcurrentWrites: shape.maxConcurrentWrites,
      queueSize: shape.queueSize,
      partSize: 5 * MiB,
      retries: 0,
    },
    { client: { disableExpectContinue: true } },
  );
  try {
    await driver.exists('warm-up.txt');
    const agent = httpAgentOf(driver);
    // Every response waits, so all parts of all writes are in flight together.
    await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 700 } });
    let peakSockets = 0;
    let peakQueued = 0;
    const sdkWarnings: string[] = [];
    const sampler = setInterval(() => {
      peakSockets = Math.max(peakSockets, countAll(agent.sockets));
      peakQueued = Math.max(peakQueued, countAll(agent.requests));
      NodeHttpHandler.checkSocketUsage(agent, 0, { warn: (message: string) => sdkWarnings.push(message) } as never);
    }, 10);
    try {
      const results = await Promise.all(
        Array.from({ length: shape.writes }, (_, i) => driver.write(`sockets/clip-${i}.mp4`, body)),
      );
      expect(results.map((result) => result.checksum)).toEqual(Array(shape.writes).fill('multipart-md5'));
    } finally {
      clearInterval(sampler);
    }
    return { maxSockets: agent.maxSockets, peakSockets, peakQueued, sdkWarnings };
  } finally {
    await driver.close();
  }
}
