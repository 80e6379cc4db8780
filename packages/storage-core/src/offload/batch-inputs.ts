/**
 * The check `offloadMany` runs before its first upload: every input valid and
 * every result file there, so a bad entry never leaves a batch half done. A
 * missing file whose result the catalog has offloaded (its local copy
 * removed) is not missing: the offload reports it from its record, so a batch
 * can be run again after a crash (when recovery may also finish an
 * interrupted delete-local under it).
 */
import type { Catalog } from '../catalog/types.js';
import { ErrorCode, isStorageError, StorageError } from '../errors.js';
import { checkResultFile } from './result-file.js';
import type { OffloadInput } from './types.js';
import { validateOffloadInput, variantsOf } from './validate-input.js';

/** Throws the first bad input (INVALID_INPUT / INVALID_KEY) or missing, never offloaded, file (NOT_FOUND). */
export async function checkBatchInputs(
  root: string,
  catalog: Catalog | undefined,
  results: readonly OffloadInput[],
): Promise<void> {
  if (!Array.isArray(results)) {
    throw new StorageError(ErrorCode.InvalidInput, 'offloadMany expects an array of offload inputs');
  }
  for (const result of results) validateOffloadInput(result);
  for (const result of results) {
    try {
      for (const path of [result.path, ...variantsOf(result).map((variant) => variant.path)]) {
        await checkResultFile(root, path);
      }
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) throw error;
      const record = await catalog?.findByPath(result.path);
      if (!(record?.state === 'offloaded' && !record.localCopy)) throw error;
    }
  }
}
