/**
 * Extra local folders (a NAS mount, an archive disk) as backends: the local
 * driver definition registered under names of its own. Under its own name it
 * is refused, with the error saying how to do it instead.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { localDriverDefinition } from '../packages/driver-local/src/index.js';
import { ErrorCode, JsonFileSettingsStore } from '../packages/storage-core/src/index.js';
import { fileSha256, workspaceForEachTest } from './support/fixture.js';

const ws = workspaceForEachTest();

it('refuses the definition under "local", naming how to register another root', async () => {
  await expect(ws.open({ definitions: [localDriverDefinition] })).rejects.toMatchObject({
    code: ErrorCode.InvalidInput,
    message: expect.stringContaining('register(localDriverDefinition, { name: "nas" })'),
  });
});

it('serves a NAS folder and an archive folder as backends of their own, next to the results disk', async () => {
  const nasRoot = await ws.folder('nas');
  const archiveRoot = await ws.folder('archive');
  const storage = await ws.open();
  storage.registry.register(localDriverDefinition, { name: 'nas' });
  storage.registry.register(localDriverDefinition, { name: 'archive' });
  await storage.registry.saveSettings('nas', { root: nasRoot });
  await storage.registry.saveSettings('archive', { root: archiveRoot });
  await storage.registry.enable('nas');
  await storage.registry.setDefault('nas');

  const sha = await ws.addResult('renders/frame.png');
  const outcome = await storage.offload({ path: 'renders/frame.png' });
  expect(outcome).toMatchObject({ status: 'offloaded', location: 'nas:renders/frame.png' });
  expect(await fileSha256(join(nasRoot, 'renders/frame.png'))).toBe(sha);
  expect(await fileSha256(join(archiveRoot, 'renders/frame.png'))).toBeUndefined();
  expect(storage.registry.providers().map((view) => [view.name, view.settings])).toEqual([
    ['local', { root: ws.resultsRoot }],
    ['nas', { root: nasRoot }],
    ['archive', { root: archiveRoot }],
  ]);
  const store = await new JsonFileSettingsStore(ws.settingsFile).load();
  expect(Object.keys(store.providers)).toEqual(['nas', 'archive']);
});
