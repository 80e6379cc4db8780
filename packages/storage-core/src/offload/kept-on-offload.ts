/**
 * What an offload does to the copies a record keeps elsewhere (see KeptCopy):
 * a new version makes every kept copy stale bytes, and the target the result
 * is sent to serves it again, so a copy kept there is no longer a kept one.
 * The commit that records the offload drops them from the record; the stale
 * objects are removed after it, best effort: one whose removal fails is then
 * an object no record knows, which reconcile reports and removes as an orphan
 * (it carries Stowage's attempt metadata), rather than a kept copy the record
 * would go on promising to delete although it holds the wrong bytes.
 */
import type { KeptCopy } from '../catalog/types.js';
import type { Ticket } from './journal-types.js';
import { removeUnserved, type StaleCopiesContext } from './stale-copies.js';

/** The kept copies once the offload of `ticket` is committed in `targetId` at `keys`, and what became stale. */
export function keptAfterOffload(
  ticket: Pick<Ticket, 'kept'>,
  targetId: string,
  keys: readonly string[] = [],
): { readonly keptCopies: KeptCopy[]; readonly stale: KeptCopy[] } {
  const { copies, olderVersion } = ticket.kept;
  const keptCopies = olderVersion ? [] : copies.filter((copy) => copy.targetId !== targetId);
  // What was kept on the target just written to is the record's again where the offload wrote over it.
  const stale = copies
    .filter((copy) => olderVersion || copy.targetId === targetId)
    .map((copy) =>
      copy.targetId === targetId ? { targetId, keys: copy.keys.filter((key) => !keys.includes(key)) } : copy,
    )
    .filter((copy) => copy.keys.length > 0);
  return { keptCopies, stale };
}

/** Removes the kept copies the committed offload made stale, but a key another live record serves; see stale-copies.ts. */
export async function removeStaleKept(
  context: StaleCopiesContext,
  ticket: Pick<Ticket, 'kept' | 'recordId'>,
  targetId: string,
  keys: readonly string[],
): Promise<void> {
  for (const copy of keptAfterOffload(ticket, targetId, keys).stale) {
    await removeUnserved(
      context,
      ticket.recordId,
      copy.targetId,
      copy.keys,
      'an older version an earlier migration kept',
    );
  }
}
