/**
 * The settings store seam. One entry per provider plus the name of the default
 * backend. Entries hold non-secret fields in the clear and secret fields only
 * encrypted, so a store (file, database row, key-value table) never sees a
 * plain secret. The embedded default is JsonFileSettingsStore; an app can back
 * this interface with its own database instead.
 */
import type { EncryptedSecret } from './crypto.js';

/** One provider's stored settings. */
export interface StoredProviderEntry {
  /** Backend name, e.g. "r2". */
  readonly name: string;
  /** Whether new results may be sent to this provider. */
  readonly enabled: boolean;
  /** Remove the local copy after a verified offload to this provider. */
  readonly deleteLocal: boolean;
  /** Non-secret settings fields, as entered (re-validated on every load). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Secret settings fields, encrypted. */
  readonly secrets: Readonly<Record<string, EncryptedSecret>>;
  /** ISO-8601 time of the last change. */
  readonly updatedAt: string;
  /**
   * HMAC-SHA256 (base64) over every other field, keyed from the application
   * key: a store must keep it as is. Absent only on entries saved by a
   * registry without an application key.
   */
  readonly mac?: string;
}

/** Everything a store holds. */
export interface SettingsSnapshot {
  /** The chosen default backend; undefined means local disk. */
  readonly defaultBackend: string | undefined;
  readonly providers: Readonly<Record<string, StoredProviderEntry>>;
}

/** Persistence for provider settings and the default choice. Each method is one durable change. */
export interface SettingsStore {
  /** Reads everything; an empty snapshot when nothing was stored yet. */
  load(): Promise<SettingsSnapshot>;
  /** Inserts or replaces one provider's entry. */
  saveEntry(entry: StoredProviderEntry): Promise<void>;
  /** Removes one provider's entry; succeeds when it is already absent. */
  removeEntry(name: string): Promise<void>;
  /** Records the default backend (undefined: local disk). */
  saveDefault(name: string | undefined): Promise<void>;
}

/** An empty snapshot: no providers, default on local disk. */
export function emptySnapshot(): SettingsSnapshot {
  return { defaultBackend: undefined, providers: {} };
}
