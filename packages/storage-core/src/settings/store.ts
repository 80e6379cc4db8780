/**
 * The settings store seam. A store keeps one document: a revision, the
 * default backend's name, one entry per provider and the registry's signature
 * over them. Entries hold non-secret fields in the clear and secret fields
 * only encrypted, so a store (file, database row, key-value table) never sees
 * a plain secret. Every change replaces the whole document, compare-and-set on
 * the revision, so two processes never silently overwrite each other. The
 * embedded default is JsonFileSettingsStore; an app can back this interface
 * with its own database instead.
 */
import { ErrorCode, StorageError } from '../errors.js';
import type { EncryptedSecret } from './crypto.js';

/** One provider's stored settings. */
export interface StoredProviderEntry {
  /** Backend name, e.g. "r2". */
  readonly name: string;
  /** Whether new results may be sent to this provider. */
  readonly enabled: boolean;
  /** Remove the local copy after a verified offload to this provider. */
  readonly deleteLocal: boolean;
  /** How new objects are named (see key-template.ts); absent: their relative path. Covered by the MAC. */
  readonly keyTemplate?: string;
  /** Non-secret settings fields, as entered (re-validated on every load). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Secret settings fields, encrypted. */
  readonly secrets: Readonly<Record<string, EncryptedSecret>>;
  /** ISO-8601 time of the last change. */
  readonly updatedAt: string;
  /** The id of the target new results go to (see `targets`); absent on entries saved before targets. */
  readonly target?: string;
  /**
   * Every place this provider's bytes have lived, oldest first, each with the
   * settings and (encrypted) secrets to read there. The current one follows
   * the entry's settings; the others are frozen. Covered by the entry's MAC.
   */
  readonly targets?: readonly StoredTarget[];
  /**
   * HMAC-SHA256 (base64) over every other field, keyed from the application
   * key: a store must keep it as is. Absent only on entries saved by a
   * registry without an application key.
   */
  readonly mac?: string;
}

/** One place a provider's bytes live or lived: see `StoredProviderEntry.targets`. */
export interface StoredTarget {
  /** `<provider>.<n>`, e.g. "r2.2". */
  readonly id: string;
  /** The placement fields (see `DriverDefinition.placementFields`) as stored. */
  readonly place: Readonly<Record<string, unknown>>;
  /** The non-secret settings to read there. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The secrets to read there, encrypted like the entry's. */
  readonly secrets: Readonly<Record<string, EncryptedSecret>>;
  /** ISO-8601 time the place was first saved. */
  readonly createdAt: string;
}

/**
 * The registry's signature over a document (see settings/document-mac.ts),
 * keyed from the application key: a store must keep it as is.
 */
export interface DocumentSignature {
  /** HMAC-SHA256 (base64) over the revision and the default choice. */
  readonly defaultBackend: string;
  /** The MAC of each provider entry the registry vouches for at this revision. */
  readonly entries: Readonly<Record<string, string>>;
  /** HMAC-SHA256 (base64) over the revision and `entries`. */
  readonly providers: string;
}

/** Everything a store holds. Stores keep every field as given, including ones they do not know. */
export interface SettingsDocument {
  /** Bumped by every change; 0 for a store nothing was saved to yet. */
  readonly revision: number;
  /** The chosen default backend; undefined means local disk. */
  readonly defaultBackend: string | undefined;
  readonly providers: Readonly<Record<string, StoredProviderEntry>>;
  /** Absent only on documents saved by a registry without an application key. */
  readonly signature?: DocumentSignature;
}

/** Persistence for the settings document. */
export interface SettingsStore {
  /** Reads the document; an empty one (revision 0) when nothing was saved yet. */
  load(): Promise<SettingsDocument>;
  /**
   * Replaces the stored document with `document`, durably, if the stored
   * revision is still `expectedRevision`; otherwise changes nothing and throws
   * PRECONDITION_FAILED (see `revisionConflict`).
   */
  save(document: SettingsDocument, expectedRevision: number): Promise<void>;
}

/** An empty document: revision 0, no providers, default on local disk. */
export function emptyDocument(): SettingsDocument {
  return { revision: 0, defaultBackend: undefined, providers: {} };
}

/** The error a store throws when the stored revision is not the one a save expected. */
export function revisionConflict(where: string, stored: number, expected: number): StorageError {
  return new StorageError(
    ErrorCode.PreconditionFailed,
    `settings in ${where} were changed elsewhere (revision ${stored}, this registry saw ${expected}); nothing was saved: reload and try again`,
    { details: { storedRevision: stored, expectedRevision: expected } },
  );
}
