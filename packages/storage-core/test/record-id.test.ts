/** Catalog record ids are UUIDv7: valid RFC 9562 UUIDs that sort in the order they were made. */
import { describe, expect, it } from 'vitest';
import { newRecordId } from '../src/catalog/record-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRecordId', () => {
  it('is a version 7 UUID with the RFC 9562 variant, its first 48 bits the time in milliseconds', () => {
    const now = Date.UTC(2026, 11, 2, 13, 45, 6, 789);
    const id = newRecordId(now);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by the time it was made, as text', () => {
    const times = [0, 1, 255, 256, 65_535, 1_700_000_000_000, Date.now(), 2 ** 48 - 1];
    const ids = times.map((time) => newRecordId(time));
    expect([...ids].sort()).toEqual(ids);
  });

  it('never repeats within one millisecond: 10,000 ids made at the same time are all different', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newRecordId(now)));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });
});
