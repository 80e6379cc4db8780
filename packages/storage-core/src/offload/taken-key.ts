/**
 * What to do when an "only if absent" write of a templated key (see
 * result-keys.ts) is refused because the key already holds an object. It may
 * be this result's own: this attempt's first try whose answer was lost (the
 * driver's retry then meets it), or a copy an earlier, abandoned attempt of
 * this result left. It may also hold exactly this file's bytes. Only then is
 * it adopted or replaced; anything else belongs to another result and is
 * never touched.
 */
import { asStorageError, ErrorCode, isStorageError, type StorageError } from '../errors.js';
import { sha256Stream } from './hash-file.js';
import type { JournalFile } from './journal-types.js';
import { keyBeingRemoved, keyServedByOther } from './result-keys.js';
import { ATTEMPT_METADATA_KEY, type SentFile, SHA256_METADATA_KEY } from './send-file.js';
import type { SendPlan } from './send-result.js';

/**
 * `adopt`: the object is this file, complete, and `ours` when this attempt
 * wrote it (its first try's answer was lost); otherwise another result's
 * offload wrote it, and it may be that result's served file, which a failure
 * of this one never removes. `free`: the key may be written again; `other`:
 * another result's; `refused`: it may hold this file, but another live record
 * serves it or a removal claimed it (`error` says which).
 */
export type TakenKey =
  | { readonly kind: 'adopt'; readonly sent: SentFile; readonly ours: boolean }
  | { readonly kind: 'free' | 'other' }
  | { readonly kind: 'refused'; readonly error: StorageError };

/** Looks at the object at `key` and says which case it is. Throws when the backend cannot say. */
export async function settleTakenKey(plan: SendPlan, file: JournalFile, key: string): Promise<TakenKey> {
  let metadata: Readonly<Record<string, string>>;
  let size: number;
  try {
    ({ metadata, size } = await plan.driver.stat(key));
  } catch (error) {
    if (isStorageError(error, ErrorCode.NotFound)) return { kind: 'free' };
    throw error;
  }
  const attempt = metadata[ATTEMPT_METADATA_KEY];
  if (attempt !== undefined && attempt === plan.abandonedAttempt && attempt !== plan.attemptId) {
    // This result's leftover, unless another result adopted it meanwhile (then it is looked at like any other).
    const removed = await (plan.removeWritten ?? ((keys) => plan.driver.deleteMany(keys)))([key]);
    if (removed.failed.length > 0) throw removed.failed[0]?.error;
    if (removed.deleted.includes(key)) return { kind: 'free' };
  }
  if (size !== file.opened.size) return { kind: 'other' };
  const expected = await sha256Stream(file.opened.handle.createReadStream({ start: 0, autoClose: false }));
  if (attempt !== plan.attemptId && metadata[SHA256_METADATA_KEY] !== expected) return { kind: 'other' };
  if (attempt !== plan.attemptId) {
    // Asked before the read-back, with this attempt's intent naming the key already committed: a removal
    // that checked before that intent holds a claim until it is over (catalog/removal-claims.ts).
    const refused = await refusal(plan, key);
    if (refused) return refused;
  }
  // Proven by reading it back: the very bytes of this file, whoever wrote them.
  const sha256 = await sha256Stream(await plan.driver.read(key));
  if (sha256 !== expected) return { kind: 'other' };
  plan.logger.info({ backend: plan.backend, key }, 'the templated key already held this very file; adopted');
  return {
    kind: 'adopt',
    sent: { key, size, sha256, written: { key, size, etag: undefined, checksum: 'sha256' } },
    ours: attempt === plan.attemptId,
  };
}

/** Why another result's object at `key` may not be adopted: another live record serves it, or a removal claimed it. */
async function refusal(plan: SendPlan, key: string): Promise<TakenKey | undefined> {
  try {
    if ((await plan.servedByOther?.(key)) === true) return { kind: 'refused', error: keyServedByOther(key) };
    if ((await plan.removalClaimed?.(key)) === true) return { kind: 'refused', error: keyBeingRemoved(key) };
  } catch (cause) {
    return { kind: 'refused', error: asStorageError(cause, key) };
  }
  return undefined;
}
