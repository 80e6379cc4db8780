import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDriverConformance } from '@stowage/storage-core/testing';
import { LocalDriver } from '../src/index.js';
import { type ServedLocalDriver, startServedLocalDriver } from './local-server.js';

const served = new Map<LocalDriver, ServedLocalDriver>();

describeDriverConformance('local (signed URLs served over node:http, public base)', {
  async createDriver() {
    const instance = await startServedLocalDriver({ publicUrls: true });
    served.set(instance.driver, instance);
    return instance.driver;
  },
  async destroyDriver(driver) {
    await served.get(driver as LocalDriver)?.stop();
  },
});

const roots = new Map<LocalDriver, string>();

for (const [mode, pruneEmptyFolders] of [
  ['no signing, no public base', false],
  ['no signing, no public base, pruneEmptyFolders', true],
] as const) {
  describeDriverConformance(`local (${mode})`, {
    async createDriver() {
      const root = await mkdtemp(join(tmpdir(), 'stowage-local-plain-'));
      const driver = new LocalDriver({ root, pruneEmptyFolders });
      roots.set(driver, root);
      return driver;
    },
    async destroyDriver(driver) {
      await rm(roots.get(driver as LocalDriver) ?? '', { recursive: true, force: true });
    },
  });
}
