/**
 * What a registry is opened with, and what `active()` answers: the public
 * shapes of the registry, apart from the class that holds its state.
 */
import { isAbsolute } from 'node:path';
import { ErrorCode, StorageError } from '../errors.js';
import type { StorageEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { SettingsStore } from '../settings/store.js';
import type { StorageDriver } from '../types.js';
import type { AnyDriverDefinition } from './definitions.js';

/**
 * The results disk: a driver that also names the directory it serves, because
 * offload reads result files from there (`join(root, key)` is the file of `key`).
 * `LocalDriver` from @stowage/driver-local is one.
 */
export interface ResultsDisk extends StorageDriver {
  /** Absolute directory of the driver's root. */
  readonly root: string;
}

/** What `BackendRegistry.open()` needs. */
export interface RegistryOptions {
  /** Where settings and the default choice persist. */
  store: SettingsStore;
  /**
   * Application key that encrypts secret settings and signs the settings
   * (≥ 32 random characters). Needed only once a provider with secrets is configured.
   */
  appKey?: string;
  /** The results disk, registered as "local", e.g. `createLocalDriver({ root })`. */
  local: ResultsDisk;
  /** Driver definitions to register under their own names. */
  definitions?: readonly AnyDriverDefinition[];
  logger?: Logger;
  events?: StorageEvents;
}

/** The backend new results go to, after any fallback. */
export interface ActiveBackend {
  readonly name: string;
  /** Its current target, where new results go ("local" on the results disk). */
  readonly target: string;
  readonly driver: StorageDriver;
  readonly deleteLocal: boolean;
  /** How new objects are named there (see key-template.ts); undefined: their relative path. */
  readonly keyTemplate: string | undefined;
  /** Set when the chosen default could not be used and local disk stands in. */
  readonly fallback?: { readonly from: string; readonly reason: string };
}

/** Throws INVALID_INPUT, before any I/O, unless the options name a store and a results disk with an absolute root. */
export function checkRegistryOptions(options: RegistryOptions): void {
  if (!options?.store) throw new StorageError(ErrorCode.InvalidInput, 'registry options: store is required');
  const local = options.local;
  if (typeof local?.write !== 'function' || typeof local.root !== 'string' || !isAbsolute(local.root)) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      'registry options: local must be the results disk driver (e.g. createLocalDriver({ root })) with an absolute root',
    );
  }
}
