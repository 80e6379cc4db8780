/**
 * Two processes sharing one settings file (here: two registries on two store
 * instances of the same file) never silently overwrite each other's change:
 * a change made on a stale document fails with PRECONDITION_FAILED, changes
 * nothing, and succeeds after reload().
 */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { ErrorCode } from '../packages/storage-core/src/index.js';
import { localDefinition, workspaceForEachTest } from './support/fixture.js';

const ws = workspaceForEachTest();

it('refuses a change made on a document another process changed since, until reload()', async () => {
  const archiveRoot = await ws.folder('archive');
  const admin = await ws.open();
  const web = await ws.open();
  for (const storage of [admin, web]) storage.registry.register(localDefinition, { name: 'archive' });

  await admin.registry.saveSettings('archive', { root: archiveRoot });
  await admin.registry.enable('archive');
  await admin.registry.setDefault('archive');

  // The web process still holds revision 0: its change would undo the admin's choice.
  const stale = web.registry.setDefault('local');
  await expect(stale).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
  await expect(stale).rejects.toThrow(/changed elsewhere \(revision 3, this registry saw 0\).*reload/);
  expect(JSON.parse(await readFile(ws.settingsFile, 'utf8'))).toMatchObject({ revision: 3, defaultBackend: 'archive' });

  await web.registry.reload();
  expect(web.registry.active().name).toBe('archive');
  await web.registry.setDefault('local');
  await admin.registry.reload();
  expect(admin.registry.defaultBackend).toBe('local');
  expect(JSON.parse(await readFile(ws.settingsFile, 'utf8'))).toMatchObject({ revision: 4, defaultBackend: null });
});

it('commits disabling the default and resetting it to local disk as one change', async () => {
  const archiveRoot = await ws.folder('archive');
  const storage = await ws.open();
  storage.registry.register(localDefinition, { name: 'archive' });
  await storage.registry.saveSettings('archive', { root: archiveRoot });
  await storage.registry.enable('archive');
  await storage.registry.setDefault('archive');
  await storage.registry.disable('archive');
  const stored = JSON.parse(await readFile(ws.settingsFile, 'utf8'));
  expect(stored).toMatchObject({ revision: 4, defaultBackend: null, providers: { archive: { enabled: false } } });
});
