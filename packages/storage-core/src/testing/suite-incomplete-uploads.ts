import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, readText, type SuiteContext } from './suite-context.js';

const MiB = 1024 * 1024;

/**
 * `sweepIncompleteUploads`: every driver implements it (real work only where
 * `capabilities.incompleteUploads`), checks its options before any I/O, never
 * touches a complete object, and finds nothing left by the driver's own failed
 * writes. No option of the suite changes what this section proves.
 */
export function describeIncompleteUploads(ctx: SuiteContext): void {
  describe('incomplete multipart uploads', () => {
    it('declares whether it has incomplete uploads and sweeps with the defaults', async () => {
      const driver = ctx.driver();
      expect(typeof driver.capabilities.incompleteUploads).toBe('boolean');
      const result = await driver.sweepIncompleteUploads();
      expect(result.aborted).toBe(0);
      expect(result.failed).toEqual([]);
    });

    it('never removes or changes a complete object, even when sweeping every age', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('sweep-keeps')}kept.txt`;
      await driver.write(key, 'complete object');
      const result = await driver.sweepIncompleteUploads({ olderThanMs: 0 });
      expect(result.failed).toEqual([]);
      expect(await readText(driver, key)).toBe('complete object');
      expect((await driver.sweepIncompleteUploads({ olderThanMs: 0, key })).aborted).toBe(0);
    });

    it('finds nothing left behind by a multipart-sized write that was aborted mid-stream', {
      timeout: ctx.options.slowTestTimeoutMs,
    }, async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('sweep-after-abort')}cut.bin`;
      const controller = new AbortController();
      async function* body() {
        for (let i = 0; i < 16; i++) {
          if (i === 12) controller.abort(new Error('cancelled mid-upload'));
          yield new Uint8Array(MiB).fill(i);
          await delay(5);
        }
      }
      await expectStorageError(
        driver.write(key, Readable.from(body()), { signal: controller.signal }),
        ErrorCode.Aborted,
      );
      expect(await driver.sweepIncompleteUploads({ olderThanMs: 0, key })).toEqual({ aborted: 0, failed: [] });
    });

    it('refuses bad options with INVALID_INPUT or INVALID_KEY before any I/O', async () => {
      const driver = ctx.driver();
      for (const olderThanMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1000' as unknown as number]) {
        await expectStorageError(driver.sweepIncompleteUploads({ olderThanMs }), ErrorCode.InvalidInput);
      }
      await expectStorageError(driver.sweepIncompleteUploads({ pageSize: 0 }), ErrorCode.InvalidInput);
      await expectStorageError(driver.sweepIncompleteUploads({ key: '../escape' }), ErrorCode.InvalidKey);
    });

    it('rejects with ABORTED when its signal is already aborted', async () => {
      await expectStorageError(
        ctx.driver().sweepIncompleteUploads({ signal: AbortSignal.abort(new Error('stop')) }),
        ErrorCode.Aborted,
      );
    });
  });
}
