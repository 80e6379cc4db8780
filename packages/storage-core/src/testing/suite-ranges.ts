import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, readText, type SuiteContext } from './suite-context.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** Byte-range reads at both edges, past the end, and invalid ranges. */
export function describeRanges(ctx: SuiteContext): void {
  describe('range reads', () => {
    const write = async () => {
      const key = `${ctx.scope('range')}alphabet.txt`;
      await ctx.driver().write(key, ALPHABET);
      return key;
    };

    it('reads the first byte with range 0-0', async () => {
      const key = await write();
      expect(await readText(ctx.driver(), key, { start: 0, end: 0 })).toBe('a');
    });

    it('reads the last byte with range (size-1)-(size-1)', async () => {
      const key = await write();
      expect(await readText(ctx.driver(), key, { start: 25, end: 25 })).toBe('z');
    });

    it('reads an inclusive range from the middle', async () => {
      const key = await write();
      expect(await readText(ctx.driver(), key, { start: 3, end: 7 })).toBe('defgh');
    });

    it('reads from start to the end of the object when end is omitted', async () => {
      const key = await write();
      expect(await readText(ctx.driver(), key, { start: 20 })).toBe('uvwxyz');
    });

    it('clamps an end past the end of the object', async () => {
      const key = await write();
      expect(await readText(ctx.driver(), key, { start: 24, end: 10_000 })).toBe('yz');
    });

    it('refuses a start at or past the end with RANGE_NOT_SATISFIABLE', async () => {
      const key = await write();
      await expectStorageError(ctx.driver().read(key, { range: { start: 26 } }), ErrorCode.RangeNotSatisfiable);
      await expectStorageError(
        ctx.driver().read(key, { range: { start: 1000, end: 2000 } }),
        ErrorCode.RangeNotSatisfiable,
      );
    });

    it('refuses a negative start or an end before the start with INVALID_INPUT', async () => {
      const key = await write();
      await expectStorageError(ctx.driver().read(key, { range: { start: -1 } }), ErrorCode.InvalidInput);
      await expectStorageError(ctx.driver().read(key, { range: { start: 5, end: 4 } }), ErrorCode.InvalidInput);
    });

    it('reports NOT_FOUND for a range read of a missing key', async () => {
      await expectStorageError(
        ctx.driver().read(`${ctx.scope('range-missing')}nope.txt`, { range: { start: 0, end: 1 } }),
        ErrorCode.NotFound,
      );
    });
  });
}
