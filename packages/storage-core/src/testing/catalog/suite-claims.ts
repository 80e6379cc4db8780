import { describe, expect, it } from 'vitest';
import type { Catalog, ClaimRequest, ResultRecord } from '../../catalog/types.js';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { attemptId, type CatalogSuiteContext, newRecord } from './context.js';

/** Claims: work is handed to one owner at a time, and abandoned work comes back. */
export function describeClaims(ctx: CatalogSuiteContext): void {
  describe('claims and leases', () => {
    it('claims only pending records whose time has come, oldest due first, each with a fresh intent', async () => {
      const catalog = await ctx.fresh();
      const scope = ctx.scope('due');
      const early = await catalog.insert(newRecord(`${scope}early.png`, { state: 'pending', dueAt: 100 }));
      const later = await catalog.insert(newRecord(`${scope}later.png`, { state: 'pending', dueAt: 200 }));
      await catalog.insert(newRecord(`${scope}future.png`, { state: 'pending', dueAt: 10_000 }));
      await catalog.insert(newRecord(`${scope}blocked.png`, { state: 'blocked', dueAt: 100 }));
      await catalog.insert(newRecord(`${scope}local.png`, { state: 'local' }));

      const claimed = await catalog.claim({
        select: { due: true },
        kind: 'offload',
        owner: 'w1',
        leaseMs: 1_000,
        limit: 10,
        now: 500,
      });
      expect(claimed.map((record) => record.id)).toEqual([early.id, later.id]);
      for (const record of claimed) {
        expect(record.intent).toMatchObject({ kind: 'offload', owner: 'w1', startedAt: 500, leaseUntil: 1_500 });
        expect(record.intent?.attemptId).toMatch(/\S{8,}/);
        expect(record.intent?.previous).toBeUndefined();
        expect(await catalog.get(record.id)).toEqual(record);
      }
      expect(claimed[0]?.intent?.attemptId).not.toBe(claimed[1]?.intent?.attemptId);
    });

    it('never hands a record to a second owner while the first one holds its lease', async () => {
      const catalog = await ctx.fresh();
      await catalog.insert(newRecord(`${ctx.scope('held')}a.png`, { state: 'pending', dueAt: 0 }));
      const claim = (select: ClaimRequest['select'], owner: string, now: number) =>
        catalog.claim({ select, kind: 'offload', owner, leaseMs: 1_000, limit: 5, now });
      expect(await claim({ due: true }, 'w1', 100)).toHaveLength(1);
      expect(await claim({ due: true }, 'w2', 1_099)).toEqual([]);
      expect(await claim({ expired: true }, 'r', 1_099)).toEqual([]);
      // Past the lease, the abandoned work goes to recovery, never straight to another worker.
      expect(await claim({ due: true }, 'w2', 1_100)).toEqual([]);
      const recovered = await claim({ expired: true }, 'r', 1_100);
      expect(recovered.map((record) => record.intent?.previous?.owner)).toEqual(['w1']);
    });

    it('hands abandoned intents back for recovery, with the abandoned intent attached', async () => {
      const catalog = await ctx.fresh();
      const abandoned = {
        kind: 'offload' as const,
        attemptId: attemptId(),
        owner: 'dead-process',
        startedAt: 10,
        leaseUntil: 1_000,
        targetId: 'r2.1',
        key: 'a.png',
        sha256: 'b'.repeat(64),
      };
      const record = await catalog.insert(newRecord(`${ctx.scope('expired')}a.png`, { intent: abandoned }));
      await catalog.insert(
        newRecord(`${ctx.scope('alive')}b.png`, {
          intent: { ...abandoned, attemptId: attemptId(), leaseUntil: 9_000 },
        }),
      );
      const claimed = await catalog.claim({
        select: { expired: true },
        kind: 'recover',
        owner: 'me',
        leaseMs: 500,
        limit: 10,
        now: 2_000,
      });
      expect(claimed.map((claim) => claim.id)).toEqual([record.id]);
      expect(claimed[0]?.intent).toMatchObject({
        kind: 'recover',
        owner: 'me',
        leaseUntil: 2_500,
        previous: abandoned,
      });
      expect(claimed[0]?.intent?.attemptId).not.toBe(abandoned.attemptId);
    });

    it('hands back the original intent when a recovery itself was abandoned', async () => {
      const catalog = await ctx.fresh();
      const original = {
        kind: 'offload' as const,
        attemptId: attemptId(),
        owner: 'dead',
        startedAt: 1,
        leaseUntil: 10,
        key: 'a.png',
      };
      await catalog.insert(newRecord(`${ctx.scope('re-recover')}a.png`, { intent: original }));
      await catalog.claim({ select: { expired: true }, kind: 'recover', owner: 'r1', leaseMs: 100, limit: 1, now: 50 });
      const [again] = await catalog.claim({
        select: { expired: true },
        kind: 'recover',
        owner: 'r2',
        leaseMs: 100,
        limit: 1,
        now: 500,
      });
      expect(again?.intent).toMatchObject({ kind: 'recover', owner: 'r2', previous: original });
    });

    it('claims the records queued for a migration and nothing else', async () => {
      const catalog = await ctx.fresh();
      const scope = ctx.scope('migration');
      const queued = await catalog.insert(
        newRecord(`${scope}a.png`, { state: 'offloaded', targetId: 'r2.1', migrationId: 'm-1' }),
      );
      await catalog.insert(newRecord(`${scope}b.png`, { state: 'offloaded', targetId: 'r2.1', migrationId: 'm-2' }));
      await catalog.insert(newRecord(`${scope}c.png`, { state: 'offloaded', targetId: 'r2.1' }));
      const claimed = await catalog.claim({
        select: { migrationId: 'm-1' },
        kind: 'migrate',
        owner: 'w',
        leaseMs: 100,
        limit: 10,
        now: 1,
      });
      expect(claimed.map((record) => record.id)).toEqual([queued.id]);
      expect(claimed[0]?.intent?.kind).toBe('migrate');
    });

    it('renews a lease only for the attempt that holds it, without changing the version', async () => {
      const catalog = await ctx.fresh();
      await catalog.insert(newRecord(`${ctx.scope('renew')}a.png`, { state: 'pending', dueAt: 0 }));
      const [claimed] = await catalog.claim({
        select: { due: true },
        kind: 'offload',
        owner: 'w',
        leaseMs: 100,
        limit: 1,
        now: 0,
      });
      const record = claimed as ResultRecord;
      expect(await catalog.renewLease(record.id, 'someone-else', 10_000)).toBe(false);
      expect(await catalog.renewLease(record.id, record.intent?.attemptId as string, 10_000)).toBe(true);
      const renewed = await catalog.get(record.id);
      expect(renewed?.intent?.leaseUntil).toBe(10_000);
      expect(renewed?.version).toBe(record.version);
      expect(
        await catalog.claim({ select: { due: true }, kind: 'offload', owner: 'x', leaseMs: 100, limit: 1, now: 5_000 }),
      ).toEqual([]);
      expect(await catalog.renewLease('no-such-id', 'a', 1)).toBe(false);
    });

    it('refuses a malformed claim naming every problem', async () => {
      const error = await expectStorageError(
        ctx.catalog().claim({ select: {} as never, kind: 'nap' as never, owner: '', leaseMs: 0, limit: -1 }),
        ErrorCode.InvalidInput,
      );
      for (const field of ['select', 'kind', 'owner', 'leaseMs', 'limit']) expect(error.message).toContain(field);
    });

    it('never gives one record to two owners when many claim at once on two connections', async () => {
      const catalog = await ctx.fresh();
      const second = await ctx.another(catalog);
      const scope = ctx.scope('contention');
      for (let i = 0; i < 60; i++) await catalog.insert(newRecord(`${scope}${i}.png`, { state: 'pending', dueAt: 0 }));
      const claimers = Array.from({ length: 8 }, (_, i) => ({ owner: `w${i}`, on: i % 2 === 0 ? catalog : second }));
      const taken = new Map<string, string>();
      const claimAll = async ({ owner, on }: { owner: string; on: Catalog }) => {
        for (;;) {
          const batch = await on.claim({
            select: { due: true },
            kind: 'offload',
            owner,
            leaseMs: 60_000,
            limit: 3,
            now: 1,
          });
          if (batch.length === 0) return;
          for (const record of batch) {
            expect(taken.get(record.id), `record ${record.path} claimed twice`).toBeUndefined();
            taken.set(record.id, owner);
          }
        }
      };
      await Promise.all(claimers.map(claimAll));
      expect(taken.size).toBe(60);
      for (const [id, owner] of taken) expect((await catalog.get(id))?.intent?.owner).toBe(owner);
    });
  });
}
