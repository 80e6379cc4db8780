/**
 * Fix mode for a kept copy whose object is gone (removed behind Stowage's
 * back): the record forgets that key, and the whole kept copy once none of its
 * keys is left, so `delete()` and the target views stop counting on it. Not a
 * reason to send the result again: the record's own copy still serves it. A
 * record with work in flight is left to that work; the change is a
 * compare-and-set on the record as it is now.
 */
import type { Catalog } from '../catalog/types.js';
import type { ReconcileTally } from './report.js';

/** Drops `key` from the copy record `resultId` keeps in `target`. */
export async function forgetKeptKey(
  catalog: Catalog,
  target: string,
  resultId: string,
  key: string,
  tally: ReconcileTally,
): Promise<void> {
  for (let tries = 0; tries < 3; tries++) {
    const record = await catalog.get(resultId);
    const copy = record?.keptCopies.find((candidate) => candidate.targetId === target);
    // Deleted, or its kept copy changed since the listing: nothing of this key to forget any more.
    if (!record || record.state === 'deleted' || !copy?.keys.includes(key)) return;
    if (record.intent) {
      tally.fixes.missingInFlight++;
      return;
    }
    const keys = copy.keys.filter((candidate) => candidate !== key);
    const keptCopies = record.keptCopies.flatMap((candidate) =>
      candidate !== copy ? [candidate] : keys.length > 0 ? [{ targetId: target, keys }] : [],
    );
    if (await catalog.update(record.id, record.version, { keptCopies })) {
      tally.fixes.keptCopiesForgotten++;
      return;
    }
  }
}
