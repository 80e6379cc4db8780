/**
 * The PRECONDITION_FAILED errors of the catalog's uniqueness rules (one live
 * record per path, one live file per key in a target, one live record per
 * location), worded once so every Catalog implementation refuses alike.
 */
import { ErrorCode, StorageError } from '../errors.js';

/** The path already has a live record. */
export function pathTakenError(path: string): StorageError {
  return conflict(`path "${path}" already has a live record`);
}

/** The key is already used in the target by another live record. */
export function keyTakenError(key: string, targetId: string): StorageError {
  return conflict(`key "${key}" in target "${targetId}" is already used by another result`);
}

/** The location already points to another live record. */
export function locationTakenError(location: string): StorageError {
  return conflict(`location "${location}" already points to another result`);
}

function conflict(message: string): StorageError {
  return new StorageError(ErrorCode.PreconditionFailed, `catalog: ${message}`);
}
