/**
 * Targets: the places a provider's bytes live. A target is a snapshot of the
 * settings that decide the place (the definition's `placementFields`) with the
 * settings and secrets to read there, kept in the provider's signed entry.
 * Saving settings that change the place starts a new target ("r2.2" after
 * "r2.1"); saving any other change (credentials, timeouts, public URL)
 * updates the current one. Old targets stay, read-only, and keep serving what
 * they hold. See docs/architecture.md, "Targets".
 */
import { ErrorCode, StorageError } from '../errors.js';
import type { EncryptedSecret } from '../settings/crypto.js';
import type { StoredProviderEntry, StoredTarget } from '../settings/store.js';
import { LOCAL_BACKEND } from './definitions.js';

/** What an admin screen or API sees of one target. Never a secret. */
export interface TargetView {
  /** E.g. "r2.1"; "local" for the results disk. */
  readonly id: string;
  readonly provider: string;
  /** The placement fields, e.g. `{ bucket: 'old-media', keyPrefix: 'site-a' }`. */
  readonly place: Readonly<Record<string, unknown>>;
  /** New results of its provider go here. */
  readonly current: boolean;
  readonly createdAt: string | undefined;
}

const TARGET_ID = /^([a-z][a-z0-9-]{0,62})\.([1-9][0-9]{0,8})$/;

/** True when `name` is a target id ("local", "r2.1") rather than a provider name ("r2"). */
export function isTargetId(name: string): boolean {
  return name === LOCAL_BACKEND || TARGET_ID.test(name);
}

/** The provider a target id belongs to; INVALID_INPUT for something that is no target id. */
export function providerOfTarget(id: string): string {
  if (id === LOCAL_BACKEND) return LOCAL_BACKEND;
  return parseTargetId(id).provider;
}

/** The number of a target id ("r2.3" is 3): ids are numbered in the order a provider's places were made. */
export function targetNumber(id: string): number {
  return parseTargetId(id).number;
}

function parseTargetId(id: string): { readonly provider: string; readonly number: number } {
  const match = TARGET_ID.exec(id);
  if (!match) {
    throw new StorageError(ErrorCode.InvalidInput, `"${id.slice(0, 80)}" is not a target id like "r2.1"`);
  }
  return { provider: match[1] as string, number: Number(match[2]) };
}

/** The id of the target an entry's new results go to; an entry saved before targets has its first one implicitly. */
export function currentTargetId(entry: StoredProviderEntry): string {
  return entry.target ?? `${entry.name}.1`;
}

/** Every target id of an entry, oldest first. */
export function targetIds(entry: StoredProviderEntry): string[] {
  return entry.targets?.map((target) => target.id) ?? [currentTargetId(entry)];
}

/**
 * The targets after saving `saved` (the plain settings and encrypted secrets)
 * as the entry's new settings: the target with the same place updated and
 * made current (usually the current one; an earlier one when the settings
 * point back to it), else a new target appended and made current.
 */
export function nextTargets(
  name: string,
  placementFields: readonly string[],
  previous: StoredProviderEntry | undefined,
  saved: {
    readonly plain: Readonly<Record<string, unknown>>;
    readonly encrypted: Readonly<Record<string, EncryptedSecret>>;
  },
): { target: string; targets: StoredTarget[] } {
  const { plain: settings, encrypted: secrets } = saved;
  const place = placeOf(placementFields, settings);
  const known: StoredTarget[] = previous ? [...(previous.targets ?? [implicitTarget(previous, placementFields)])] : [];
  // The place is the target: settings pointing back to a place it had before return to that target.
  const index = known.findIndex((target) => samePlace(target.place, place));
  const same = index >= 0 ? known[index] : undefined;
  if (same) {
    known[index] = { ...same, settings: { ...settings }, secrets: { ...secrets } };
    return { target: same.id, targets: known };
  }
  const next = Math.max(0, ...known.map((target) => Number(TARGET_ID.exec(target.id)?.[2] ?? 0))) + 1;
  const created: StoredTarget = {
    id: `${name}.${next}`,
    place,
    settings: { ...settings },
    secrets: { ...secrets },
    createdAt: new Date().toISOString(),
  };
  return { target: created.id, targets: [...known, created] };
}

/** The stored target `id` of `entry`; MISCONFIGURED naming it when the entry has no such target. */
export function targetOf(entry: StoredProviderEntry, id: string, placementFields: readonly string[]): StoredTarget {
  const found = (entry.targets ?? [implicitTarget(entry, placementFields)]).find((target) => target.id === id);
  if (!found) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `target "${id}" is not one of the places provider "${entry.name}" has stored results (its targets: ${targetIds(entry).join(', ')})`,
      { details: { target: id, backend: entry.name } },
    );
  }
  return found;
}

/** The views of an entry's targets. */
export function targetViews(entry: StoredProviderEntry, placementFields: readonly string[]): TargetView[] {
  const current = currentTargetId(entry);
  return (entry.targets ?? [implicitTarget(entry, placementFields)]).map((target) => ({
    id: target.id,
    provider: entry.name,
    place: { ...target.place },
    current: target.id === current,
    createdAt: entry.targets ? target.createdAt : undefined,
  }));
}

/** The entry without target `id` (never the current one). */
export function withoutTarget(entry: StoredProviderEntry, id: string): StoredProviderEntry {
  if (id === currentTargetId(entry)) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `target "${id}" is where new results of "${entry.name}" go; change the provider's settings (or remove the provider) instead`,
    );
  }
  return { ...entry, targets: (entry.targets ?? []).filter((target) => target.id !== id) };
}

// An entry saved before targets existed is its own first target.
function implicitTarget(entry: StoredProviderEntry, placementFields: readonly string[]): StoredTarget {
  return {
    id: currentTargetId(entry),
    place: placeOf(placementFields, entry.settings),
    settings: entry.settings,
    secrets: entry.secrets,
    createdAt: entry.updatedAt,
  };
}

function placeOf(fields: readonly string[], settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    fields.filter((field) => settings[field] !== undefined).map((field) => [field, settings[field]]),
  );
}

function samePlace(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}
