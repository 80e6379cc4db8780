/**
 * The checks on one recorded object that the listing shows: its size (from
 * the listing, free), its `sha256` metadata (one HEAD), and in deep mode its
 * bytes (one GET, hashed as they stream). And the second look at a recorded
 * object the listing did not show, before it counts as missing: the listing
 * and the catalog are read at slightly different moments.
 */
import type { CatalogFileEntry } from '../catalog/types.js';
import { asStorageError, ErrorCode, isStorageError } from '../errors.js';
import { sha256Stream } from '../offload/hash-file.js';
import { SHA256_METADATA_KEY } from '../offload/send-file.js';
import type { ListEntry, StorageDriver } from '../types.js';
import type { ReconcilePlan } from './options.js';
import type { MismatchReason, ReconcileTally } from './report.js';

/** Where the checks run. */
export interface CheckTarget {
  readonly driver: StorageDriver;
  /** The results disk holds files the app wrote, without Stowage's metadata: only sizes and (deep) bytes compare. */
  readonly isResultsDisk: boolean;
}

/** Compares a listed object with its record; counts a mismatch or an object that could not be checked. */
export async function checkObject(
  target: CheckTarget,
  plan: ReconcilePlan,
  listed: ListEntry,
  recorded: CatalogFileEntry,
  tally: ReconcileTally,
): Promise<void> {
  const { file, record } = recorded;
  const mismatch = (reason: MismatchReason, expected: string, actual: string) =>
    tally.mismatch(listed.size, { key: listed.key, path: file.path, resultId: record.id, reason, expected, actual });
  if (listed.size !== file.size) return mismatch('size', String(file.size), String(listed.size));
  if (file.sha256 === undefined) return;
  try {
    if (plan.checkMetadata && !target.isResultsDisk) {
      const stored = (await target.driver.stat(listed.key)).metadata[SHA256_METADATA_KEY] ?? 'none';
      if (stored !== file.sha256) return mismatch('sha256', file.sha256, stored);
    }
    if (plan.deep) {
      const actual = await sha256Stream(await target.driver.read(listed.key));
      if (actual !== file.sha256) return mismatch('content', file.sha256, actual);
    }
  } catch (error) {
    // Gone since it was listed: the next reconcile sees it missing (or deleted with its record).
    if (isStorageError(error, ErrorCode.NotFound)) return;
    noteUnchecked(tally, listed.key, error);
  }
}

/** True when a recorded object the listing did not show is really not there now. */
export async function confirmMissing(driver: StorageDriver, key: string, tally: ReconcileTally): Promise<boolean> {
  try {
    return !(await driver.exists(key));
  } catch (error) {
    noteUnchecked(tally, key, error);
    return false;
  }
}

/** Counts an object that could not be checked, with the reason. */
function noteUnchecked(tally: ReconcileTally, key: string, error: unknown): void {
  const failure = asStorageError(error, key);
  tally.unchecked.add(0, () => ({ key, code: failure.code, message: failure.message }));
}
