/**
 * The connection test and the trial build on their own, with real drivers:
 * a local root on a real temp folder, and an S3 driver pointed at a closed
 * port (refused at once, so no server is needed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localDriverDefinition } from '../packages/driver-local/src/index.js';
import { type S3Driver, s3DriverDefinition } from '../packages/driver-s3/src/index.js';
import {
  type AnyDriverDefinition,
  ConfigError,
  ErrorCode,
  type Logger,
  type StorageDriver,
} from '../packages/storage-core/src/index.js';
import { testConnection, tryDriver } from '../packages/storage-core/src/registry/connection-test.js';
import { isClosed, OFFLINE_S3_SETTINGS } from './support/offline-s3.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-connection-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The S3 definition, remembering every driver it built so a test can see it was closed. */
function recordingS3(): { definition: AnyDriverDefinition; built: S3Driver[] } {
  const built: S3Driver[] = [];
  const definition: AnyDriverDefinition = {
    ...s3DriverDefinition,
    create: (settings) => {
      const driver = s3DriverDefinition.create(settings) as S3Driver;
      built.push(driver);
      return driver;
    },
  };
  return { definition, built };
}

const unreachable = { ...OFFLINE_S3_SETTINGS, retries: 0 } as const;

describe('testConnection', () => {
  it('probes a driver built from the settings: a working local root passes every step', async () => {
    const report = await testConnection({
      name: 'nas',
      definition: localDriverDefinition as AnyDriverDefinition,
      settings: () => ({ root: dir }),
    });
    expect(report).toMatchObject({ ok: true, driver: 'local' });
    expect(report.steps.map((step) => step.step)).toEqual(['connect', 'write', 'read', 'compare', 'delete']);
  });

  it('reports the failed step of an unreachable backend, and closes the driver it built', async () => {
    const { definition, built } = recordingS3();
    const report = await testConnection({ name: 'minio', definition, settings: () => unreachable });
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: ErrorCode.Unavailable });
    expect(report.message).not.toContain(unreachable.secretAccessKey);
    expect(built).toHaveLength(1);
    expect(isClosed(built[0] as S3Driver)).toBe(true);
  });

  it('turns settings that cannot be resolved or are refused into a failed configure step, building nothing', async () => {
    const { definition, built } = recordingS3();
    const unresolved = await testConnection({
      name: 'minio',
      definition,
      settings: () => {
        throw new ConfigError('settings for "minio"', ['secretAccessKey: the stored value cannot be trusted']);
      },
    });
    expect(unresolved).toMatchObject({ ok: false, failedStep: 'configure', code: ErrorCode.Misconfigured });
    expect(unresolved.message).toMatch(/secretAccessKey: the stored value cannot be trusted/);
    const refused = await testConnection({ name: 'minio', definition, settings: () => ({ bucket: 'media' }) });
    expect(refused).toMatchObject({ ok: false, failedStep: 'configure' });
    expect(refused.message).toMatch(/accessKeyId: required/);
    expect(built).toEqual([]);
  });
});

describe('tryDriver', () => {
  const warnings: string[] = [];
  const logger: Logger = { info: () => undefined, warn: (_obj, msg) => warnings.push(msg), error: () => undefined };

  it('builds and closes a driver that accepts the settings', async () => {
    const { definition, built } = recordingS3();
    await tryDriver('minio', definition, unreachable, logger);
    expect(isClosed(built[0] as S3Driver)).toBe(true);
  });

  it('throws a ConfigError with the reason when the driver refuses them, and only logs a failing close', async () => {
    await expect(tryDriver('nas', localDriverDefinition, { root: 'relative' }, logger)).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(tryDriver('nas', localDriverDefinition, { root: 'relative' }, logger)).rejects.toThrow(
      /^settings for "nas": .*must be an absolute path/,
    );
    const failingClose: AnyDriverDefinition = {
      ...localDriverDefinition,
      create: (settings) =>
        Object.assign(localDriverDefinition.create(settings) as StorageDriver, {
          close: () => Promise.reject(new Error('close failed')),
        }),
    };
    await tryDriver('nas', failingClose, { root: dir }, logger);
    expect(warnings).toEqual(['closing a trial driver failed']);
  });
});
