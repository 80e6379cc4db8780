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
import { errorFacts, type Logger } from '../logger.js';
import type { Ticket } from './journal-types.js';
import type { TargetResolver } from './targets.js';

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

/** Removes the kept copies the committed offload made stale; logs (and leaves for reconcile) what it could not. */
export async function removeStaleKept(
  context: { readonly targets: TargetResolver; readonly logger: Logger },
  ticket: Pick<Ticket, 'kept'>,
  targetId: string,
  keys: readonly string[],
): Promise<void> {
  for (const copy of keptAfterOffload(ticket, targetId, keys).stale) {
    try {
      const result = await context.targets.open(copy.targetId).driver.deleteMany(copy.keys);
      if (result.failed.length > 0) throw result.failed[0]?.error;
    } catch (error) {
      context.logger.warn(
        { target: copy.targetId, keys: copy.keys, error: errorFacts(error) },
        'could not remove the copies an earlier migration kept of an older version; reconcile will find them',
      );
    }
  }
}
