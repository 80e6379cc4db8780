/**
 * A small seeded random number generator (mulberry32) for fault tests whose
 * choices must be reproducible: the seed is printed, and the same seed makes
 * the same choices. `STOWAGE_FAULT_SEED` replays a failed run.
 */

/** A source of reproducible choices. */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** The seed from STOWAGE_FAULT_SEED, else a fresh one. */
export function faultSeed(): number {
  const given = process.env.STOWAGE_FAULT_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error('STOWAGE_FAULT_SEED must be a non-negative integer');
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** A generator for `seed` (mulberry32: 32-bit state, good enough to pick faults). */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}
