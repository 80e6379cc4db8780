/**
 * Resolving a location to the bytes it names. With a catalog, a location is
 * looked up there: it leads to its result's record, and the record to the
 * target that holds the bytes now (after settings edits, a change of default,
 * or a migration). A location the catalog does not know (handed out before
 * the catalog existed, or by a storage that keeps none) resolves through its
 * backend's current settings.
 */
import type { Catalog } from './catalog/types.js';
import { ErrorCode, NotFoundError, StorageError } from './errors.js';
import { parseLocation } from './location.js';
import type { TargetResolver } from './offload/targets.js';
import type { StorageDriver } from './types.js';

/** Where a location's bytes are. */
export interface ResolvedLocation {
  readonly backend: string;
  readonly target: string;
  readonly driver: StorageDriver;
  readonly key: string;
}

/** Resolves `location` (optionally one of its result's variants, by name). */
export async function resolveLocation(
  catalog: Catalog | undefined,
  targets: TargetResolver,
  location: string,
  variant?: string,
): Promise<ResolvedLocation> {
  const parsed = parseLocation(location);
  const record = catalog ? await catalog.resolve(location) : undefined;
  if (!record) {
    if (variant !== undefined) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        `variant "${variant}" of "${location}": variants resolve only through the catalog, which does not know this location`,
      );
    }
    const target = targets.current(parsed.backend);
    return { backend: parsed.backend, target, driver: targets.open(target).driver, key: parsed.key };
  }
  if (record.state === 'deleted') {
    throw new NotFoundError(`the result at "${location}" was deleted`, { key: parsed.key });
  }
  const file = record.files.find((candidate) => candidate.name === (variant ?? ''));
  if (!file) {
    const names = record.files.slice(1).map((candidate) => candidate.name);
    throw new NotFoundError(
      `the result at "${location}" has no variant "${variant}"${names.length > 0 ? ` (it has: ${names.join(', ')})` : ''}`,
      { key: parsed.key },
    );
  }
  const { backend, driver } = targets.open(record.targetId);
  return { backend, target: record.targetId, driver, key: file.key };
}
