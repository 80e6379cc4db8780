/**
 * Shared set-up for the cross-package tests: a temporary folder with a results
 * disk (a real LocalDriver root), "remote" backends that are other LocalDriver
 * roots or MinIO buckets, and helpers to make results with known SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach } from 'vitest';
import { createLocalDriver, localDriverDefinition } from '../../packages/driver-local/src/index.js';
import {
  type AnyDriverDefinition,
  createStorage,
  type ErrorCode,
  JsonFileSettingsStore,
  type Storage,
  type StorageDriver,
  StorageError,
  type StorageOptions,
} from '../../packages/storage-core/src/index.js';

/** An application key for tests (any 32+ random characters in real use). */
export const TEST_APP_KEY = 'test-app-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** The local driver definition, to register extra local roots as "remote" backends. */
export const localDefinition: AnyDriverDefinition = localDriverDefinition;

/** A temporary workspace: results root, a settings file and room for other roots. */
export interface Workspace {
  readonly dir: string;
  readonly resultsRoot: string;
  readonly settingsFile: string;
  /** Opens a Storage over this workspace's results disk and settings file. */
  open(options?: Partial<StorageOptions>): Promise<Storage>;
  /** Writes a result file of `size` random bytes at `path`; returns its SHA-256. */
  addResult(path: string, size?: number): Promise<string>;
  /** A new empty folder under the workspace, e.g. for another LocalDriver root. */
  folder(name: string): Promise<string>;
  remove(): Promise<void>;
}

/** Creates a workspace in the OS temp folder. */
export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-it-'));
  const resultsRoot = join(dir, 'results');
  await mkdir(resultsRoot, { recursive: true });
  const settingsFile = join(dir, 'settings.json');
  const opened: Storage[] = [];
  return {
    dir,
    resultsRoot,
    settingsFile,
    async open(options = {}) {
      const storage = await createStorage({
        store: new JsonFileSettingsStore(settingsFile),
        appKey: TEST_APP_KEY,
        local: createLocalDriver({ root: resultsRoot }),
        ...options,
      });
      opened.push(storage);
      return storage;
    },
    async addResult(path, size = 4096) {
      const bytes = randomBytes(size);
      const file = join(resultsRoot, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
      return sha256(bytes);
    },
    async folder(name) {
      const path = join(dir, name);
      await mkdir(path, { recursive: true });
      return path;
    },
    async remove() {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A workspace made before each test of the calling file (or describe block)
 * and removed after it. The returned object stands for the current test's
 * workspace, so use it inside tests and hooks only.
 */
export function workspaceForEachTest(): Workspace {
  let current: Workspace | undefined;
  beforeEach(async () => {
    current = await createWorkspace();
  });
  afterEach(async () => {
    await current?.remove();
    current = undefined;
  });
  const now = (): Workspace => {
    if (!current) throw new Error('the workspace exists only while a test runs');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get resultsRoot() {
      return now().resultsRoot;
    },
    get settingsFile() {
      return now().settingsFile;
    },
    open: (options) => now().open(options),
    addResult: (path, size) => now().addResult(path, size),
    folder: (name) => now().folder(name),
    remove: () => now().remove(),
  };
}

/** SHA-256 (hex) of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of a file, or undefined when it does not exist. */
export async function fileSha256(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * A real driver with some methods replaced, e.g. to count concurrent writes or
 * to damage bytes on disk after a write. Everything else goes to the driver.
 */
export function withOverrides(driver: StorageDriver, overrides: Partial<StorageDriver>): StorageDriver {
  return {
    kind: driver.kind,
    capabilities: driver.capabilities,
    write: (key, body, options) => driver.write(key, body, options),
    read: (key, options) => driver.read(key, options),
    stat: (key) => driver.stat(key),
    exists: (key) => driver.exists(key),
    delete: (key) => driver.delete(key),
    deleteMany: (keys) => driver.deleteMany(keys),
    list: (prefix, options) => driver.list(prefix, options),
    copy: (from, to, options) => driver.copy(from, to, options),
    move: (from, to, options) => driver.move(from, to, options),
    publicUrl: (key) => driver.publicUrl(key),
    presignGet: (key, options) => driver.presignGet(key, options),
    presignPut: (key, options) => driver.presignPut(key, options),
    probe: () => driver.probe(),
    sweepIncompleteUploads: (options) => driver.sweepIncompleteUploads(options),
    close: () => driver.close(),
    ...overrides,
  };
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

/** What a `controlledDefinition` root does: the keys written, and an injected failure or delay. */
export interface WriteControl {
  writes: string[];
  failure?: ErrorCode;
  delayMs?: number;
}

/** A real local root named "archive" whose writes can be made to fail, slowed down, and counted. */
export function controlledDefinition(control: WriteControl): AnyDriverDefinition {
  return {
    ...localDefinition,
    name: 'archive',
    create(settings: { root: string }) {
      const driver = localDefinition.create(settings) as StorageDriver;
      const write: StorageDriver['write'] = async (key, body, options) => {
        control.writes.push(key);
        if (control.delayMs) await sleep(control.delayMs);
        if (control.failure) throw new StorageError(control.failure, `injected ${control.failure}`, { key });
        return driver.write(key, body, options);
      };
      return withOverrides(driver, { write });
    },
  };
}
