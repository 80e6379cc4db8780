/**
 * The real parts of a fault test file: a MinIO of the file's own (region
 * "auto", as R2's is, so the R2 definition signs exactly as it would for R2;
 * its own so a test may kill and restart it), a toxiproxy of its own, and one
 * bucket. A scenario gets its own proxy, workspace and key prefix, and a
 * Storage whose default backend is the "s3" or the "r2" definition, saved,
 * enabled and chosen through the registry, pointed at the proxy.
 */
import { afterAll, beforeAll } from 'vitest';
import { createLocalDriver } from '../../packages/driver-local/src/index.js';
import { r2DriverDefinition } from '../../packages/driver-r2/src/index.js';
import { s3DriverDefinition } from '../../packages/driver-s3/src/index.js';
import {
  createStorage,
  JsonFileSettingsStore,
  type Storage,
  type StorageOptions,
} from '../../packages/storage-core/src/index.js';
import {
  createS3Proxy,
  createTestBucket,
  type MinioProcess,
  removeTestBucket,
  startMinioProcess,
  type ToxiproxyClient,
  type ToxiproxyProxy,
} from '../../packages/testing/src/index.js';
import { createWorkspace, TEST_APP_KEY, type Workspace } from './fixture.js';
import { inspectBucket } from './s3-inspect.js';

/** The registry definitions a scenario can offload through. */
export type DefinitionName = 's3' | 'r2';
export const DEFINITIONS: readonly DefinitionName[] = ['s3', 'r2'];

/** The smallest part S3 allows; results above it go multipart (two parts for MULTIPART_SIZE). */
const PART_SIZE = 5 * 1024 * 1024;
export const MULTIPART_SIZE = PART_SIZE + 512 * 1024;

/** Driver tuning for fault tests: one retry, short timeouts, so a fault is decided in seconds. */
const FAST_DRIVER = {
  partSize: PART_SIZE,
  retries: 1,
  retryDelayMs: 100,
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2500,
  idleTimeoutMs: 2000,
} as const;

/** The file's servers and bucket, ready inside tests and hooks. */
export interface FaultRig {
  readonly minio: MinioProcess;
  readonly toxiproxy: ToxiproxyClient;
  readonly bucket: string;
  /** Looks at the bucket straight on MinIO, past any proxy. */
  readonly view: ReturnType<typeof inspectBucket>;
}

/**
 * Starts the file's MinIO and bucket beside its toxiproxy (`await
 * fileToxiproxy()` in the test file itself, which also puts the file in the
 * integration project); call at the top level of a test file.
 */
export function faultRig(name: string, toxiproxy: ToxiproxyClient): () => FaultRig {
  let rig: FaultRig | undefined;
  beforeAll(async () => {
    const minio = await startMinioProcess({ region: 'auto' });
    const bucket = await createTestBucket(minio.info, name);
    rig = { minio, toxiproxy, bucket, view: inspectBucket(minio.info, bucket) };
  }, 60_000);
  afterAll(async () => {
    if (!rig) return;
    rig.view.close();
    await removeTestBucket(rig.minio.info, rig.bucket).catch(() => undefined);
    await rig.minio.stop();
  });
  return () => {
    if (!rig) throw new Error('the fault rig exists only while the file runs');
    return rig;
  };
}

/** One scenario's own proxy, workspace, key prefix and Storage. */
export interface Scenario {
  readonly definition: DefinitionName;
  readonly proxy: ToxiproxyProxy;
  readonly ws: Workspace;
  /** The scenario's Storage now (a new one after `reopen()`). */
  readonly storage: Storage;
  /** The key prefix of the scenario's objects in the bucket (the driver's keyPrefix). */
  readonly prefix: string;
  /** Settings as saved, to save again with changes. */
  readonly settings: Record<string, unknown>;
  /**
   * Closes the Storage, which waits for the uploads it gave up on to wind down
   * (their cleanup included), and opens a new one on the same settings and
   * catalog, as an app restart would.
   */
  reopen(): Promise<Storage>;
  /** Closes the Storage, deletes the proxy and the workspace. */
  close(): Promise<void>;
}

/** What a scenario may change: driver settings and Storage options. */
export interface ScenarioOptions {
  readonly driver?: Record<string, unknown>;
  readonly storage?: Partial<StorageOptions>;
}

/** Builds a scenario whose default backend is `definition`, through a new proxy in front of the rig's MinIO. */
export async function openScenario(
  rig: FaultRig,
  definition: DefinitionName,
  prefix: string,
  options: ScenarioOptions = {},
): Promise<Scenario> {
  const { proxy, info } = await createS3Proxy(rig.toxiproxy, rig.minio.info);
  const ws = await createWorkspace();
  const open = () =>
    createStorage({
      store: new JsonFileSettingsStore(ws.settingsFile),
      appKey: TEST_APP_KEY,
      local: createLocalDriver({ root: ws.resultsRoot }),
      definitions: [s3DriverDefinition, r2DriverDefinition],
      uploadTimeoutMs: 6_000,
      ...options.storage,
    });
  let storage = await open();
  const common = {
    endpoint: info.endpoint,
    bucket: rig.bucket,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
    keyPrefix: prefix,
    forcePathStyle: true,
    deleteLocal: true,
    ...FAST_DRIVER,
    ...options.driver,
  };
  // The generic S3 entry takes a region; R2's is always "auto" and not a setting.
  const settings = definition === 's3' ? { ...common, region: 'auto' } : common;
  await storage.registry.saveSettings(definition, settings);
  await storage.registry.enable(definition);
  await storage.registry.setDefault(definition);
  return {
    definition,
    proxy,
    ws,
    get storage() {
      return storage;
    },
    prefix,
    settings,
    async reopen() {
      await storage.close();
      storage = await open();
      return storage;
    },
    async close() {
      await storage.close();
      await ws.remove();
      await proxy.delete();
    },
  };
}
