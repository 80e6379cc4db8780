/**
 * A backend name no driver is registered under is one error wherever it comes
 * from: an admin call, a view, a stored location. MISCONFIGURED, because the
 * fix is in the app's set-up (register a definition under that name).
 */
import { expect, it } from 'vitest';
import { ErrorCode } from '../packages/storage-core/src/index.js';
import { workspaceForEachTest } from './support/fixture.js';

const ws = workspaceForEachTest();

it('raises the same error with the same code from every path', async () => {
  const storage = await ws.open();
  const expected = { code: ErrorCode.Misconfigured, message: 'no driver is registered as "nas"' };
  expect(thrown(() => storage.registry.provider('nas'))).toMatchObject(expected);
  expect(thrown(() => storage.registry.driver('nas'))).toMatchObject(expected);
  await expect(storage.registry.saveSettings('nas', {})).rejects.toMatchObject(expected);
  await expect(storage.registry.enable('nas')).rejects.toMatchObject(expected);
  await expect(storage.registry.disable('nas')).rejects.toMatchObject(expected);
  await expect(storage.registry.setDefault('nas')).rejects.toMatchObject(expected);
  await expect(storage.read('nas:images/a.png')).rejects.toMatchObject(expected);
  await expect(storage.registry.testConnection('nas')).rejects.toMatchObject(expected);
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
