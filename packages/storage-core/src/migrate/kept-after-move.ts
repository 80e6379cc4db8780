/**
 * What a move does to the copies a record keeps (see KeptCopy): without
 * `deleteSource` the source's copies stay where they are and the switch
 * records them as kept, so delete, reconcile and the target views still know
 * them; a copy kept on the destination is served again (the move wrote over
 * it) and stops being kept. The results disk is never kept: `localCopy` says
 * whether it holds the files.
 */
import { type KeptCopy, LOCAL_TARGET_ID, type ResultRecord } from '../catalog/types.js';
import type { MigrationPlan } from './plan.js';

/** The record's kept copies once it serves from the destination at `keys`, and the destination keys no longer anyone's. */
export function keptAfterMove(
  record: ResultRecord,
  plan: Pick<MigrationPlan, 'toTarget' | 'deleteSource'>,
  keys: readonly string[],
): { readonly keptCopies: KeptCopy[]; readonly staleOnDestination: string[] } {
  const keptCopies = record.keptCopies.filter((copy) => copy.targetId !== plan.toTarget);
  if (!plan.deleteSource && record.targetId !== LOCAL_TARGET_ID) {
    keptCopies.push({ targetId: record.targetId, keys: record.files.map((file) => file.key) });
  }
  // A copy kept on the destination under other keys (a result that came back there under keys of
  // another template) is neither served nor kept after the switch: the move removes it.
  const onDestination = record.keptCopies.find((copy) => copy.targetId === plan.toTarget);
  const staleOnDestination = (onDestination?.keys ?? []).filter((key) => !keys.includes(key));
  return { keptCopies, staleOnDestination };
}
