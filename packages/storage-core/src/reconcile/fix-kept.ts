/**
 * Fix mode for a kept copy whose object is gone (removed behind Stowage's
 * back). `keys[i]` of a kept copy is the key of file i (reconcile sizes a gone
 * key by the file at its position), so the record forgets a gone key only from
 * the end of the copy, where no other key moves. A gone key before one still
 * there makes the whole copy forgotten: its other objects are then objects no
 * record knows, which reconcile reports and (with fix) removes as orphans,
 * unless another result serves them (a content-addressed key). Either way
 * `delete()` and the target views stop counting on what is gone. Not a reason
 * to send the result again: the record's own copy still serves it. A record
 * with work in flight is left to that work; the change is a compare-and-set on
 * the record as it is now.
 */
import type { Catalog, KeptCopy } from '../catalog/types.js';
import type { ReconcileTally } from './report.js';

/** Drops `key` from the copy record `resultId` keeps in `target` (all of the copy when `key` is not at its end). */
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
    const keys = keysLeft(copy, key);
    const keptCopies = record.keptCopies.flatMap((candidate) =>
      candidate !== copy ? [candidate] : keys.length > 0 ? [{ targetId: target, keys }] : [],
    );
    if (await catalog.update(record.id, record.version, { keptCopies })) {
      tally.fixes.keptCopiesForgotten += copy.keys.length - keys.length;
      return;
    }
  }
}

/** The keys of `copy` once `key` is forgotten: those before it when it ends the copy, else none. */
function keysLeft(copy: KeptCopy, key: string): string[] {
  let end = copy.keys.length;
  // The same key twice at the end (a variant holding the very bytes of the file before it) goes at once.
  while (end > 0 && copy.keys[end - 1] === key) end--;
  const before = copy.keys.slice(0, end);
  return before.includes(key) ? [] : before;
}
