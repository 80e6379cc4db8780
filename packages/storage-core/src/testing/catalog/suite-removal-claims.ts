import { describe, expect, it } from 'vitest';
import type { RemovalClaimRequest } from '../../catalog/types.js';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import type { CatalogSuiteContext } from './context.js';

/** Removal claims: keys about to be removed are visible to every connection until released or expired. */
export function describeRemovalClaims(ctx: CatalogSuiteContext): void {
  describe('removal claims', () => {
    it('names its keys in its target, to this connection and another, until it is released', async () => {
      const catalog = ctx.catalog();
      const other = await ctx.another(catalog);
      const scope = ctx.scope('removal');
      const id = await catalog.claimRemoval({
        targetId: 'minio.1',
        keys: [`${scope}a.png`, `${scope}b.png`, `${scope}a.png`],
        leaseMs: 60_000,
      });
      expect(id).toMatch(/\S{8,}/);
      for (const connection of [catalog, other]) {
        expect(await connection.removalClaimed('minio.1', `${scope}a.png`)).toBe(true);
        expect(await connection.removalClaimed('minio.1', `${scope}b.png`)).toBe(true);
        expect(await connection.removalClaimed('minio.1', `${scope}c.png`)).toBe(false);
        expect(await connection.removalClaimed('minio.2', `${scope}a.png`)).toBe(false);
      }
      await other.releaseRemoval(id);
      expect(await catalog.removalClaimed('minio.1', `${scope}a.png`)).toBe(false);
      await catalog.releaseRemoval(id); // released twice: nothing happens
    });

    it('holds until its lease passes, and two claims on one key are released one at a time', async () => {
      const catalog = ctx.catalog();
      const key = `${ctx.scope('lease')}a.png`;
      const first = await catalog.claimRemoval({ targetId: 'r2.1', keys: [key], leaseMs: 1_000, now: 10_000 });
      expect(await catalog.removalClaimed('r2.1', key, { now: 10_999 })).toBe(true);
      expect(await catalog.removalClaimed('r2.1', key, { now: 11_000 })).toBe(false);
      const second = await catalog.claimRemoval({ targetId: 'r2.1', keys: [key], leaseMs: 1_000, now: 10_500 });
      expect(second).not.toBe(first);
      await catalog.releaseRemoval(first);
      expect(await catalog.removalClaimed('r2.1', key, { now: 11_200 })).toBe(true);
      await catalog.releaseRemoval(second);
      expect(await catalog.removalClaimed('r2.1', key, { now: 11_200 })).toBe(false);
    });

    it('refuses a malformed claim with INVALID_INPUT naming every problem, and claims nothing', async () => {
      const catalog = ctx.catalog();
      const key = `${ctx.scope('bad')}a.png`;
      const error = await expectStorageError(
        catalog.claimRemoval({ targetId: '', keys: [key, ''], leaseMs: 0 } as RemovalClaimRequest),
        ErrorCode.InvalidInput,
      );
      expect(error.message).toContain('targetId: required');
      expect(error.message).toContain('keys: every key must be a non-empty string');
      expect(error.message).toContain('leaseMs: must be positive');
      await expectStorageError(
        catalog.claimRemoval({ targetId: 'minio.1', keys: [], leaseMs: 1_000 }),
        ErrorCode.InvalidInput,
      );
      expect(await catalog.removalClaimed('', key)).toBe(false);
    });
  });
}
