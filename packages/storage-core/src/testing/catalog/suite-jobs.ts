import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../errors.js';
import { expectStorageError } from '../suite-context.js';
import { type CatalogSuiteContext, newRecord } from './context.js';

/** Jobs: migrations and reconciles kept in the catalog, changed by version, run under a lease. */
export function describeJobs(ctx: CatalogSuiteContext): void {
  describe('jobs', () => {
    it('creates a queued job, reads it back and lists jobs newest first by kind and state', async () => {
      const catalog = await ctx.fresh();
      const first = await catalog.createJob({ kind: 'migrate', params: { from: 'r2.1', to: 's3.1' }, now: 10 });
      const second = await catalog.createJob({ kind: 'reconcile', params: { target: 'r2.1', fix: false }, now: 20 });
      expect(first).toMatchObject({
        kind: 'migrate',
        state: 'queued',
        params: { from: 'r2.1', to: 's3.1' },
        progress: {},
        owner: undefined,
        leaseUntil: undefined,
        lastError: undefined,
        version: 1,
        createdAt: 10,
        updatedAt: 10,
      });
      expect(await catalog.getJob(first.id)).toEqual(first);
      expect(await catalog.getJob('no-such-job')).toBeUndefined();
      expect((await catalog.listJobs()).map((job) => job.id)).toEqual([second.id, first.id]);
      expect((await catalog.listJobs({ kind: 'migrate' })).map((job) => job.id)).toEqual([first.id]);
      expect(await catalog.listJobs({ state: ['done', 'failed'] })).toEqual([]);
    });

    it('changes a job only at its current version, keeping progress as JSON', async () => {
      const catalog = await ctx.fresh();
      const job = await catalog.createJob({ kind: 'migrate', params: {} });
      const moved = await catalog.updateJob(job.id, job.version, {
        state: 'running',
        progress: { done: 3, bytes: 300 },
      });
      expect(moved).toMatchObject({ state: 'running', progress: { done: 3, bytes: 300 }, version: 2 });
      expect(await catalog.updateJob(job.id, job.version, { state: 'done' })).toBeUndefined();
      const failed = await catalog.updateJob(job.id, 2, {
        state: 'failed',
        lastError: { code: 'ACCESS_DENIED', message: 'denied', at: 5 },
      });
      expect(failed).toMatchObject({ state: 'failed', lastError: { code: 'ACCESS_DENIED' }, progress: { done: 3 } });
    });

    it('hands a job to one owner at a time, and hands it on when the lease runs out', async () => {
      const catalog = await ctx.fresh();
      const second = await ctx.another(catalog);
      const job = await catalog.createJob({ kind: 'reconcile', params: {}, now: 1 });
      const claimed = await Promise.all([
        catalog.claimJob({ kind: 'reconcile', owner: 'a', leaseMs: 1_000, now: 100 }),
        second.claimJob({ kind: 'reconcile', owner: 'b', leaseMs: 1_000, now: 100 }),
      ]);
      const taken = claimed.filter((one) => one !== undefined);
      expect(taken).toHaveLength(1);
      expect(taken[0]).toMatchObject({ id: job.id, state: 'running', leaseUntil: 1_100 });
      expect(await catalog.claimJob({ kind: 'reconcile', owner: 'c', leaseMs: 1_000, now: 1_099 })).toBeUndefined();
      expect(await catalog.claimJob({ kind: 'migrate', owner: 'c', leaseMs: 1_000, now: 5_000 })).toBeUndefined();
      expect(await catalog.claimJob({ kind: 'reconcile', owner: 'c', leaseMs: 1_000, now: 1_100 })).toMatchObject({
        id: job.id,
        owner: 'c',
      });
    });

    it('queues the matching records without intent or migration for a migration, in one step', async () => {
      const catalog = await ctx.fresh();
      const scope = ctx.scope('queue');
      await catalog.insert(newRecord(`${scope}a.png`, { state: 'offloaded', targetId: 'r2.1' }));
      await catalog.insert(newRecord(`${scope}b.png`, { state: 'offloaded', targetId: 'r2.1' }));
      await catalog.insert(newRecord(`${scope}c.png`, { state: 'offloaded', targetId: 'r2.2' }));
      await catalog.insert(
        newRecord(`${scope}d.png`, {
          state: 'offloaded',
          targetId: 'r2.1',
          intent: { kind: 'delete', attemptId: 'x', owner: 'o', startedAt: 1, leaseUntil: 9e12 },
        }),
      );
      await catalog.insert(newRecord(`${scope}e.png`, { state: 'offloaded', targetId: 'r2.1', migrationId: 'other' }));
      const job = await catalog.createJob({ kind: 'migrate', params: {} });
      expect(await catalog.queueForMigration(job.id, { targetId: 'r2.1', pathPrefix: scope })).toBe(2);
      const queued = await catalog.claim({
        select: { migrationId: job.id },
        kind: 'migrate',
        owner: 'w',
        leaseMs: 100,
        limit: 10,
      });
      expect(queued.map((record) => record.path).sort()).toEqual([`${scope}a.png`, `${scope}b.png`]);
      expect(await catalog.queueForMigration(job.id, { targetId: 'r2.1', pathPrefix: scope })).toBe(0);
    });

    it('refuses a malformed job naming every problem', async () => {
      const error = await expectStorageError(
        ctx.catalog().createJob({ kind: 'vacuum' as never, params: [] as never }),
        ErrorCode.InvalidInput,
      );
      expect(error.message).toContain('kind');
      expect(error.message).toContain('params');
    });
  });
}
