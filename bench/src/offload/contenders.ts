/**
 * Which implementations a run measures, in the order of the first round. A
 * Stowage variant (e.g. the catalog on, once it exists) is one more entry
 * here plus its knob in StowageVariant; the tables and ratios follow.
 */
import type { OffloadOptions } from './options.js';
import type { Contender } from './run-spec.js';

/** Label of the Stowage contender with default settings: the one the ratios compare. */
export const STOWAGE = 'stowage';
/** Label of the raw-SDK baseline. */
export const RAW = 'raw SDK';
/** Label of the rclone baseline. */
export const RCLONE = 'rclone';
/** Label of Stowage with the catalog off (`--catalog`), compared with the default, which has it on. */
export const STOWAGE_NO_CATALOG = 'stowage-no-catalog';

/** The contenders for `options`. */
export function contenders(options: OffloadOptions): Contender[] {
  const list: Contender[] = [
    { label: RAW, kind: 'raw' },
    { label: STOWAGE, kind: 'stowage', variant: { catalog: true } },
  ];
  if (options.catalog) list.push({ label: STOWAGE_NO_CATALOG, kind: 'stowage', variant: { catalog: false } });
  if (options.rclone) list.push({ label: RCLONE, kind: 'rclone' });
  return list;
}

/**
 * The attribution pass: the raw baseline, the baseline plus each of offload's
 * extra steps alone, plus all of them, and Stowage. What Stowage costs beyond
 * "raw + all steps" is its own per-offload work (and, for big files, the MD5).
 */
export function attributionContenders(withUrlAndHead: boolean): Contender[] {
  const none = { sha256First: false, headAfter: false, presignUrl: false };
  const list: Contender[] = [
    { label: RAW, kind: 'raw' },
    { label: 'raw+sha256', kind: 'raw', steps: { ...none, sha256First: true } },
  ];
  if (withUrlAndHead) {
    list.push(
      { label: 'raw+head', kind: 'raw', steps: { ...none, headAfter: true } },
      { label: 'raw+url', kind: 'raw', steps: { ...none, presignUrl: true } },
      { label: 'raw+all3', kind: 'raw', steps: { sha256First: true, headAfter: true, presignUrl: true } },
    );
  }
  list.push({ label: STOWAGE, kind: 'stowage', variant: { catalog: true } });
  return list;
}

/** Contenders in the order of `round` (1-based): rotated by one each round, so none always goes first. */
export function roundOrder<T>(list: readonly T[], round: number): T[] {
  const shift = (round - 1) % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}
