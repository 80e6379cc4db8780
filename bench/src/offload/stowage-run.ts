/**
 * The Stowage side, set up as a new user would (examples/quickstart): a
 * settings file, `createStorage()` with the results disk and the S3 driver
 * definitions, the `minio` provider saved with only the required settings,
 * enabled and made the default; then `storage.offloadMany()` of the files.
 * Only the offload concurrency is set, to the workload's.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import { createStorage, JsonFileSettingsStore, type Storage } from '@stowage/storage-core';
import { WARM_UP_KEY } from '../bench-side.js';
import type { OffloadRunSpec, StowageVariant } from './run-spec.js';
import type { TimedUploads } from './upload-run.js';

/** The provider every offload goes to. */
const PROVIDER = 'minio';

/** Storage opened for one run, and how to close it and remove its settings file. */
interface OpenStowage {
  readonly storage: Storage;
  close(): Promise<void>;
}

/**
 * Opens Storage for `spec` with `variant` applied. Every variant knob is read
 * here and nowhere else: with `catalog` the default embedded catalog (a SQLite
 * file beside the settings file), without it `catalog: false`.
 */
async function openStowage(spec: OffloadRunSpec, variant: StowageVariant): Promise<OpenStowage> {
  const settingsDir = await mkdtemp(join(tmpdir(), 'stowage-bench-settings-'));
  try {
    const storage = await createStorage({
      store: new JsonFileSettingsStore(join(settingsDir, 'settings.json')),
      appKey: randomBytes(32).toString('base64'),
      local: createLocalDriver({ root: spec.resultsRoot }),
      definitions: s3DriverDefinitions,
      concurrency: spec.concurrency,
      ...(variant.catalog ? {} : { catalog: false as const }),
    });
    const { target } = spec;
    await storage.registry.saveSettings(PROVIDER, {
      endpoint: target.endpoint,
      region: target.region,
      bucket: target.bucket,
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
    });
    await storage.registry.enable(PROVIDER);
    await storage.registry.setDefault(PROVIDER);
    return {
      storage,
      async close() {
        await storage.close();
        await rm(settingsDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(settingsDir, { recursive: true, force: true });
    throw error;
  }
}

/** Sets Stowage up for `spec`; the returned uploads offload `keys` with `offloadMany`. */
export async function stowageUploads(spec: OffloadRunSpec, variant: StowageVariant): Promise<TimedUploads> {
  const open = await openStowage(spec, variant);
  return {
    async warmUp() {
      await open.storage.exists(`${PROVIDER}:${WARM_UP_KEY}`);
    },
    async upload(keys) {
      const outcomes = await open.storage.offloadMany(keys.map((path) => ({ path })));
      const local = outcomes.filter((outcome) => outcome.status !== 'offloaded');
      const problems = local.slice(0, 5).map((outcome) => {
        const reason = outcome.error ? `${outcome.error.code}: ${outcome.error.message}` : 'no error given';
        return `${outcome.key} stayed local (stage ${outcome.failedStage ?? 'none'}; ${reason})`;
      });
      if (local.length > 5) problems.push(`${local.length - 5} more results stayed local`);
      return problems;
    },
    close: () => open.close(),
  };
}
