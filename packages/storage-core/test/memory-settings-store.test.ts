import { describe, expect, it } from 'vitest';
import { MemorySettingsStore, type StoredProviderEntry } from '../src/index.js';

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
    await store.saveEntry(entry);
    await store.saveDefault('r2');
    expect(await store.load()).toEqual({ defaultBackend: 'r2', providers: { r2: entry } });
    await store.removeEntry('r2');
    await store.removeEntry('r2');
    expect((await store.load()).providers).toEqual({});
  });

  it('hands out copies, so mutating a loaded snapshot changes nothing stored', async () => {
    const store = new MemorySettingsStore();
    await store.saveEntry(entry);
    const loaded = await store.load();
    (loaded.providers.r2?.settings as Record<string, unknown>).bucket = 'changed';
    expect((await store.load()).providers.r2?.settings).toEqual({ bucket: 'media' });
  });
});
