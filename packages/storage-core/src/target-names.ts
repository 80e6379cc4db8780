/**
 * What a provider or target name given to reconcile, sweep or migrate stands
 * for, and the one wording of why a name stands for no target. A registered
 * provider whose settings were never saved has no target yet: saying it is
 * "neither a provider nor a target" would send the admin looking for a typo.
 */
import { LOCAL_TARGET_ID } from './catalog/types.js';
import { ErrorCode, StorageError } from './errors.js';
import type { TargetResolver } from './offload/targets.js';
import { providerOfTarget } from './registry/targets.js';

/** Where the name is used: as a place results are in (a source), or as the one they go to. */
type Role = 'source' | 'destination';

/** A target id as is, a provider's name for its current target; INVALID_INPUT when it stands for none. */
export function currentTargetNamed(
  targets: TargetResolver,
  name: string,
  subject: string,
  role: Role = 'source',
): string {
  if (name === LOCAL_TARGET_ID) return name;
  if (targets.isTarget(name)) return hadTarget(targets, name, subject);
  if (targets.targetsOf(name).length === 0) throw noTargetNamed(targets, name, subject, role);
  return targets.current(name);
}

/** A target id as is, a provider's name for every target it has had; INVALID_INPUT when it stands for none. */
export function everyTargetNamed(targets: TargetResolver, name: string, subject: string): readonly string[] {
  if (targets.isTarget(name)) return [hadTarget(targets, name, subject)];
  const all = targets.targetsOf(name);
  if (all.length === 0) throw noTargetNamed(targets, name, subject, 'source');
  return all;
}

/**
 * `id` (shaped like a target id, "r2.3") unless its provider has targets and
 * this is none of them (a typo, or one forgotten): then INVALID_INPUT naming them, so a
 * typo in the number reads as bad input rather than as a misconfigured provider.
 */
function hadTarget(targets: TargetResolver, id: string, subject: string): string {
  if (id === LOCAL_TARGET_ID) return id;
  const provider = providerOfTarget(id);
  const had = targets.targetsOf(provider);
  // A provider with no targets left (its settings removed) may still have records there: opening says why not.
  if (had.length === 0 || had.includes(id)) return id;
  throw new StorageError(
    ErrorCode.InvalidInput,
    `${subject}: "${id}" is not one of provider "${provider}"'s targets (its targets: ${had.join(', ')})`,
    { details: { target: id } },
  );
}

function noTargetNamed(targets: TargetResolver, name: string, subject: string, role: Role): StorageError {
  const details = { target: name };
  if (!targets.isProvider(name)) {
    return new StorageError(ErrorCode.InvalidInput, `${subject}: "${name}" is neither a provider nor a target`, {
      details,
    });
  }
  const consequence = role === 'source' ? 'no target holds anything of it' : 'it has no target to move results to';
  return new StorageError(
    ErrorCode.InvalidInput,
    `${subject}: provider "${name}" has no settings saved, so ${consequence}; save its settings first`,
    { details },
  );
}
