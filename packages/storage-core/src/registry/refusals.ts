/**
 * Why the registry refuses an admin call or a lookup: one constructor per
 * rule, so each message is written once. None of them repeats a setting's value.
 */
import { ConfigError, ErrorCode, StorageError } from '../errors.js';
import { LOCAL_BACKEND, unregisteredBackend } from './definitions.js';

/** INVALID_INPUT when `name` is local disk, which is always present: it cannot be disabled or removed. */
export function refuseLocal(name: string, what: 'disabled' | 'removed'): void {
  if (name === LOCAL_BACKEND) {
    throw new StorageError(ErrorCode.InvalidInput, `local disk is always present and cannot be ${what}`);
  }
}

/** Local disk's settings belong to the app that opens the registry. */
export function localConfiguredByApp(): StorageError {
  return new StorageError(
    ErrorCode.InvalidInput,
    'local disk is configured by the app that opens the registry, not through settings',
  );
}

/** Nothing is stored under `name`: INVALID_INPUT when a driver is registered there, else unregisteredBackend. */
export function unknownOrUnconfigured(name: string, registered: boolean): StorageError {
  return registered
    ? new StorageError(ErrorCode.InvalidInput, `backend "${name}" has no settings`, { details: { backend: name } })
    : unregisteredBackend(name);
}

/** `remove()` without `{ forgetStoredObjects: true }`. */
export function removalNeedsConfirmation(name: string): StorageError {
  return new StorageError(
    ErrorCode.InvalidInput,
    `removing "${name}" forgets its settings, so stored locations "${name}:..." stop resolving (reads, URLs and deletes of those objects fail) until its settings are saved again; use disable("${name}") to keep them serving, or pass { forgetStoredObjects: true } to remove it anyway`,
    { details: { backend: name } },
  );
}

/** A location names a backend whose settings are gone. */
export function noSettingsToServe(name: string): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    `backend "${name}" has no settings (never saved, or removed), so locations "${name}:..." cannot be served until its settings are saved again`,
    { details: { backend: name } },
  );
}

/** `enable()` before any settings were saved. */
export function nothingToEnable(name: string): ConfigError {
  return new ConfigError(`cannot enable "${name}"`, ['no settings saved yet; save complete settings first']);
}

/** `setDefault()` of a provider that is not enabled. */
export function notEnabled(name: string): ConfigError {
  return new ConfigError(`cannot make "${name}" the default`, ['enable it first']);
}
