import { ErrorCode, StorageError } from '../errors.js';
import type { OffloadOptions, OffloadOutcome } from './types.js';

/**
 * Runs the caller's `onStored` (where the app records the location); returns
 * its failure, wrapped with what happened, or undefined when it succeeded.
 */
export async function runOnStored(options: OffloadOptions, outcome: OffloadOutcome): Promise<StorageError | undefined> {
  if (!options.onStored) return undefined;
  try {
    await options.onStored(outcome);
    return undefined;
  } catch (error) {
    return new StorageError(
      ErrorCode.Unknown,
      `recording the location of "${outcome.key}" failed, so the local copy was kept: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, key: outcome.key, details: { uploadedLocation: outcome.location } },
    );
  }
}
