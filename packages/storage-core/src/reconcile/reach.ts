/**
 * Before fix mode deletes or changes anything, proof that the settings still
 * reach the target the catalog means: the target opens, it is still a place of
 * its provider (the one its settings point to now, or one it has had), a
 * listing succeeds, and it holds the recorded objects sampled. Settings that
 * now point somewhere else (another bucket, prefix or root) would make every
 * record look missing and every object there look like an orphan; refusing
 * then is the whole point.
 */
import { type Catalog, LOCAL_TARGET_ID, type ResultRecord } from '../catalog/types.js';
import { asStorageError, ErrorCode, isStorageError, StorageError } from '../errors.js';
import type { TargetResolver } from '../offload/targets.js';
import { PROBE_KEY_PREFIX } from '../probe.js';
import type { StorageDriver } from '../types.js';

/** How many recorded objects are looked for; at least one must be there. */
const SAMPLED_RECORDS = 20;

/** The opened target, proven reachable. */
export interface ReachedTarget {
  readonly backend: string;
  readonly driver: StorageDriver;
}

/** Proves the settings reach `target`; throws a StorageError saying why not, and that nothing was changed. */
export async function proveReach(catalog: Catalog, targets: TargetResolver, target: string): Promise<ReachedTarget> {
  let opened: ReturnType<TargetResolver['open']>;
  try {
    opened = targets.open(target);
  } catch (error) {
    throw reachRefusal(target, 'it cannot be opened', error);
  }
  const { backend, driver } = opened;
  if (
    target !== LOCAL_TARGET_ID &&
    targets.current(backend) !== target &&
    !targets.targetsOf(backend).includes(target)
  ) {
    throw reachRefusal(target, `it is no longer a target of provider "${backend}"`);
  }
  let holdsObjects = false;
  try {
    for await (const entry of driver.list('', { pageSize: 10 })) {
      if (entry.key.startsWith(PROBE_KEY_PREFIX)) continue;
      holdsObjects = true;
      break;
    }
  } catch (error) {
    throw reachRefusal(target, 'listing it failed', error);
  }
  const sampled = await sampleRecorded(catalog, target);
  if (sampled.length > 0 && !(await anyExists(driver, sampled, target))) {
    throw reachRefusal(
      target,
      `none of the ${sampled.length} recorded objects looked for is there${holdsObjects ? ', though it holds other objects' : ''}: its settings may point to another place (bucket, key prefix or root) than the one the catalog recorded. Check the provider's settings; a report-only reconcile shows what differs`,
    );
  }
  return { backend, driver };
}

/**
 * Keys of the first recorded files that should be there now: no work in flight, not already marked
 * missing; then kept copies, so a target that only holds those is proven too before fix forgets any.
 */
async function sampleRecorded(catalog: Catalog, target: string): Promise<string[]> {
  const keys: string[] = [];
  const busy = (entry: { readonly record: ResultRecord }) => Boolean(entry.record.intent);
  await sampleInto(keys, catalog.listFiles(target, { pageSize: 100 }), (e) => busy(e) || e.record.state === 'missing');
  await sampleInto(keys, catalog.listKeptCopies(target, { pageSize: 100 }), busy);
  return keys;
}

/** Adds the keys of `listing` that `skip` leaves, until `keys` holds SAMPLED_RECORDS; looks at most ten times that many. */
async function sampleInto<T extends { readonly key: string }>(
  keys: string[],
  listing: AsyncIterable<T>,
  skip: (entry: T) => boolean,
): Promise<void> {
  let looked = 0;
  if (keys.length >= SAMPLED_RECORDS) return;
  for await (const entry of listing) {
    if (++looked > 10 * SAMPLED_RECORDS) return;
    if (skip(entry)) continue;
    keys.push(entry.key);
    if (keys.length >= SAMPLED_RECORDS) return;
  }
}

async function anyExists(driver: StorageDriver, keys: readonly string[], target: string): Promise<boolean> {
  for (const key of keys) {
    try {
      if (await driver.exists(key)) return true;
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) throw reachRefusal(target, `looking for "${key}" failed`, error);
    }
  }
  return false;
}

/** The refusal of a fix: why the settings do not reach `target`, and that nothing was changed. */
export function reachRefusal(target: string, why: string, cause?: unknown): StorageError {
  const underlying = cause === undefined ? undefined : asStorageError(cause);
  return new StorageError(
    underlying?.code ?? ErrorCode.Misconfigured,
    `reconcile fix refused: the settings no longer reach target "${target}": ${why}${underlying ? ` (${underlying.message})` : ''}; nothing was deleted or changed`,
    { cause: underlying, details: { target } },
  );
}
