/**
 * The catalog's side of managing targets: how many results each holds (and
 * how many keep a copy there, see KeptCopy), and refusing to forget one that
 * still holds either.
 */
import type { Catalog } from './catalog/types.js';
import { ErrorCode, StorageError } from './errors.js';
import type { BackendRegistry, TargetView } from './registry/registry.js';
import { providerOfTarget } from './registry/targets.js';

/**
 * A target with the catalog's counts of what it holds: the results it serves
 * and their bytes, and the results that keep a copy there (a migration's
 * source copies, left in place without `deleteSource`).
 */
export type TargetWithCounts = TargetView & {
  readonly results: number;
  readonly bytes: number;
  readonly keptCopies: number;
};

/** Every target (of one provider, when named) with its results and bytes; INVALID_INPUT for a name that is no provider. */
export async function targetsWithCounts(
  registry: BackendRegistry,
  catalog: Catalog | undefined,
  provider?: string,
): Promise<TargetWithCounts[]> {
  if (provider !== undefined) refuseUnknownProvider(registry, provider);
  const counts = new Map((await catalog?.stats())?.byTarget.map((entry) => [entry.targetId, entry]) ?? []);
  const views = registry.targets.list(provider);
  const kept = await Promise.all(views.map((view) => catalog?.countKeptCopies(view.id)));
  return views.map((view, index) => ({
    ...view,
    results: counts.get(view.id)?.results ?? 0,
    bytes: counts.get(view.id)?.bytes ?? 0,
    keptCopies: kept[index]?.results ?? 0,
  }));
}

/**
 * A name that is no provider is a typo: answering `[]` for it would read as
 * "a provider with no targets". A registered provider with no settings saved,
 * or settings kept for a provider no longer registered, is one.
 */
function refuseUnknownProvider(registry: BackendRegistry, provider: unknown): void {
  if (typeof provider !== 'string') {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `targets: the provider must be a name like "r2", got ${typeof provider}`,
    );
  }
  if (registry.targets.isProvider(provider) || registry.targets.targetsOf(provider).length > 0) return;
  const known = registry.providers().map((view) => view.name);
  throw new StorageError(
    ErrorCode.InvalidInput,
    `targets: "${provider.slice(0, 64)}" is not a provider; known: ${known.join(', ')}`,
    { details: { provider: provider.slice(0, 64) } },
  );
}

/** Forgets target `id`, refusing while the catalog has results there, or copies results keep there, unless `forgetResults`. */
export async function removeTarget(
  registry: BackendRegistry,
  catalog: Catalog | undefined,
  id: string,
  options: { readonly forgetResults?: boolean },
): Promise<void> {
  if (typeof id !== 'string') {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `removeTarget: the target id must be a string like "r2.1", got ${typeof id}`,
    );
  }
  const view = registry.targets.list(providerOfTarget(id)).find((target) => target.id === id);
  if (!view) throw new StorageError(ErrorCode.InvalidInput, `"${id}" is not a known target`);
  const held = await catalog?.count({ targetId: id, state: ['offloaded', 'local', 'pending', 'blocked', 'given-up'] });
  if (held && held.results > 0 && options.forgetResults !== true) {
    throw new StorageError(
      ErrorCode.PreconditionFailed,
      `target "${id}" (${JSON.stringify(view.place)}) still holds ${held.results} results (${held.bytes} bytes); migrate them first, or pass { forgetResults: true } to forget them`,
      { details: { target: id, results: held.results, bytes: held.bytes } },
    );
  }
  const kept = await catalog?.countKeptCopies(id);
  if (kept && kept.results > 0 && options.forgetResults !== true) {
    // Forgetting the target forgets how to reach these copies: delete() could not remove them.
    throw new StorageError(
      ErrorCode.PreconditionFailed,
      `target "${id}" (${JSON.stringify(view.place)}) still holds copies that ${kept.results} results keep (${kept.keys} objects, left by a migration without deleteSource); delete those results first, or pass { forgetResults: true } to forget the copies (they stay in the bucket, unknown to Stowage)`,
      { details: { target: id, keptCopies: kept.results, keptObjects: kept.keys } },
    );
  }
  await registry.targets.forget(id);
}
