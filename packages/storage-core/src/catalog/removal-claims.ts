/**
 * Removing objects an offload may be adopting at that moment. An offload
 * whose templated key already holds its very bytes adopts the object instead
 * of writing it (offload/taken-key.ts), and the objects it may adopt are
 * exactly those that removers believe no result needs: reconcile's orphans,
 * kept copies, an older version's stale copies, a failed attempt's leftovers.
 * A remover checks the catalog, then deletes; an adoption in between would
 * leave a result recorded at a key just deleted, its local copy gone. So both
 * sides write before they read:
 *
 * - The remover commits a claim naming the keys, then checks them (no other
 *   record's intent names the key in the target, no other live record serves
 *   it), deletes those that pass, and releases the claim.
 * - The adopter's intent names the key (committed before its first byte).
 *   Before it reads the object back, it asks whether a claim names the key,
 *   and when one does, it does not adopt: the result stays local and is sent
 *   again later (UNAVAILABLE, a transient failure the worker retries).
 *
 * Either the remover's check comes after the adopter's intent and sees it,
 * or the adopter's question comes after the claim's commit and sees the claim
 * (or its release, by which time the removal is over and the read-back finds
 * the key empty). A claim that outlives a process that died expires after
 * REMOVAL_CLAIM_MS; meanwhile offloads adopting those keys wait.
 */
import type { DeleteManyResult, StorageDriver } from '../types.js';
import type { Catalog, ResultIntent } from './types.js';
import { keysNoOtherServes } from './unserved-keys.js';

/** How long a removal claim holds: far beyond one checked batch of deletes with its retries. */
const REMOVAL_CLAIM_MS = 15 * 60_000;

/** Runs `work` (the checks and the deletes of `keys` in `targetId`) under a committed removal claim. */
export async function underRemovalClaim<T>(
  catalog: Catalog | undefined,
  targetId: string,
  keys: readonly string[],
  work: () => Promise<T>,
): Promise<T> {
  if (!catalog || keys.length === 0) return work();
  const id = await catalog.claimRemoval({ targetId, keys, leaseMs: REMOVAL_CLAIM_MS });
  try {
    return await work();
  } finally {
    // A release that fails leaves the claim to expire: adoptions of these keys wait until then.
    await catalog.releaseRemoval(id).catch(() => undefined);
  }
}

/**
 * Which of `keys` in `targetId` an intent in the catalog names: an offload,
 * migration or recovery in flight (or abandoned and awaiting recovery) may
 * still record or adopt them. The intents of record `exceptRecordId` (the
 * remover's own) do not count.
 */
export async function keysNamedByIntents(
  catalog: Catalog,
  targetId: string,
  keys: readonly string[],
  exceptRecordId?: string,
): Promise<Set<string>> {
  const wanted = new Set(keys);
  const named = new Set<string>();
  if (wanted.size === 0) return named;
  for await (const record of catalog.list({ hasIntent: true })) {
    if (record.id === exceptRecordId) continue;
    for (const intent of [record.intent, record.intent?.previous] as Array<Partial<ResultIntent> | undefined>) {
      if (intent?.targetId !== targetId) continue;
      for (const key of [intent.key, ...(intent.keys ?? [])]) if (key && wanted.has(key)) named.add(key);
    }
  }
  return named;
}

/**
 * What `removeUnlessAdopted` did: the driver's answer for the keys it deleted, and the keys it left because
 * another record's intent names them (those another live record serves are simply that record's).
 */
export interface UnadoptedRemoval extends DeleteManyResult {
  /** Keys another record's intent names: an offload, migration or recovery in flight may record them. */
  readonly inFlight: readonly string[];
}

/**
 * Deletes those of `keys` in `targetId` that record `recordId` (the remover's
 * own, if any) may remove: under a removal claim, keys another live record
 * serves or another record's intent names are left to that record.
 */
export async function removeUnlessAdopted(
  catalog: Catalog | undefined,
  driver: StorageDriver,
  request: { readonly targetId: string; readonly keys: readonly string[]; readonly recordId?: string },
): Promise<UnadoptedRemoval> {
  const { targetId, keys, recordId } = request;
  return underRemovalClaim(catalog, targetId, keys, async () => {
    const unserved = await keysNoOtherServes(catalog, recordId, targetId, keys);
    const named = catalog ? await keysNamedByIntents(catalog, targetId, unserved, recordId) : new Set<string>();
    const inFlight = unserved.filter((key) => named.has(key));
    const doomed = unserved.filter((key) => !named.has(key));
    if (doomed.length === 0) return { deleted: [], failed: [], inFlight };
    return { ...(await driver.deleteMany(doomed)), inFlight };
  });
}
