/**
 * The copies of a result's older version, removed once the new version is
 * committed elsewhere (or at other keys): best effort, after the commit, so a
 * removal that fails leaves an object no record knows, which reconcile
 * reports and removes as an orphan. A key another live record now serves (it
 * adopted the object, see catalog/unserved-keys.ts), or is adopting right now,
 * is left to that record (catalog/removal-claims.ts).
 */

import { removeUnlessAdopted } from '../catalog/removal-claims.js';
import type { Catalog } from '../catalog/types.js';
import { errorFacts, type Logger } from '../logger.js';
import type { Ticket } from './journal-types.js';
import type { TargetResolver } from './targets.js';

/** What removing stale copies needs from the storage. */
export interface StaleCopiesContext {
  readonly catalog: Catalog | undefined;
  readonly targets: TargetResolver;
  readonly logger: Logger;
}

/** Removes the older version's copies that the commit of `ticket` in `targetId` at `keys` left stale. */
export async function removeStaleCopies(
  context: StaleCopiesContext,
  ticket: Pick<Ticket, 'recordId' | 'stale'>,
  targetId: string,
  keys: readonly string[],
): Promise<void> {
  const stale = ticket.stale;
  if (!stale) return;
  const leftover = stale.targetId === targetId ? stale.keys.filter((key) => !keys.includes(key)) : stale.keys;
  await removeUnserved(context, ticket.recordId, stale.targetId, leftover, 'an older version');
}

/**
 * Removes the keys of `keys` in `targetId` that no other live record serves
 * or is adopting;
 * logs, and leaves for reconcile, what it could not remove. `whose` names the
 * copies in the log line.
 */
export async function removeUnserved(
  context: StaleCopiesContext,
  recordId: string | undefined,
  targetId: string,
  keys: readonly string[],
  whose: string,
): Promise<void> {
  if (keys.length === 0) return;
  try {
    const { driver } = context.targets.open(targetId);
    const result = await removeUnlessAdopted(context.catalog, driver, { targetId, keys, recordId });
    if (result.failed.length > 0) throw result.failed[0]?.error;
  } catch (error) {
    context.logger.warn(
      { target: targetId, keys, error: errorFacts(error) },
      `could not remove the copies of ${whose}; reconcile will find them`,
    );
  }
}
