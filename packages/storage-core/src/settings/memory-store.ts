import { emptySnapshot, type SettingsSnapshot, type SettingsStore, type StoredProviderEntry } from './store.js';

/**
 * A settings store in memory: nothing survives a restart. For tests and for
 * apps that rebuild settings from their own configuration at start-up.
 */
export class MemorySettingsStore implements SettingsStore {
  #snapshot: SettingsSnapshot = emptySnapshot();

  /** Returns a deep copy, so callers cannot change stored state by mutation. */
  async load(): Promise<SettingsSnapshot> {
    return structuredClone(this.#snapshot);
  }

  /** Inserts or replaces one entry. */
  async saveEntry(entry: StoredProviderEntry): Promise<void> {
    this.#snapshot = {
      ...this.#snapshot,
      providers: { ...this.#snapshot.providers, [entry.name]: structuredClone(entry) },
    };
  }

  /** Removes one entry if present. */
  async removeEntry(name: string): Promise<void> {
    const { [name]: _removed, ...rest } = this.#snapshot.providers;
    this.#snapshot = { ...this.#snapshot, providers: rest };
  }

  /** Records the default backend. */
  async saveDefault(name: string | undefined): Promise<void> {
    this.#snapshot = { ...this.#snapshot, defaultBackend: name };
  }
}
