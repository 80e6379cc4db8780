import { describe, expect, it } from 'vitest';
import { ErrorCode, MemorySettingsStore, type SettingsDocument, type StoredProviderEntry } from '../src/index.js';

const entry: StoredProviderEntry = {
  name: 'r2',
  enabled: true,
  deleteLocal: false,
  settings: { bucket: 'media' },
  secrets: {},
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('MemorySettingsStore', () => {
  it('stores entries and the default, and removes entries', async () => {
    const store = new MemorySettingsStore();
    const saved: SettingsDocument = { revision: 1, defaultBackend: 'r2', providers: { r2: entry } };
    await store.save(saved, 0);
    expect(await store.load()).toEqual(saved);
    await store.save({ revision: 2, defaultBackend: undefined, providers: {} }, 1);
    expect((await store.load()).providers).toEqual({});
  });

  it('hands out copies, so mutating a loaded document changes nothing stored', async () => {
    const store = new MemorySettingsStore();
    await store.save({ revision: 1, defaultBackend: undefined, providers: { r2: entry } }, 0);
    const loaded = await store.load();
    (loaded.providers.r2?.settings as Record<string, unknown>).bucket = 'changed';
    expect((await store.load()).providers.r2?.settings).toEqual({ bucket: 'media' });
  });

  it('saves only over the revision it was given (compare-and-set), and keeps fields it does not know', async () => {
    const store = new MemorySettingsStore();
    await store.save({ revision: 1, defaultBackend: undefined, providers: {}, later: { x: 1 } } as SettingsDocument, 0);
    await expect(store.save({ revision: 1, defaultBackend: 'r2', providers: {} }, 0)).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
      details: { storedRevision: 1, expectedRevision: 0 },
    });
    expect(await store.load()).toEqual({ revision: 1, defaultBackend: undefined, providers: {}, later: { x: 1 } });
  });
});
