import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import type { TransferProgress } from '../types.js';
import { generatedStream } from './generated-data.js';
import { expectStorageError, listKeys, type SuiteContext } from './suite-context.js';

const MiB = 1024 * 1024;

/** AbortSignal and progress reporting on writes. */
export function describeTransferControl(ctx: SuiteContext): void {
  describe('abort and progress', () => {
    it('an AbortSignal fired mid-stream rejects the write with ABORTED and leaves no object under the key', {
      timeout: ctx.options.slowTestTimeoutMs,
    }, async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('abort');
      const key = `${scope}interrupted.bin`;
      const controller = new AbortController();
      let produced = 0;
      // Large enough that a multipart upload is under way when the signal fires.
      async function* body() {
        for (let i = 0; i < 16; i++) {
          if (i === 7) controller.abort(new Error('the caller cancelled the upload'));
          produced += MiB;
          yield new Uint8Array(MiB).fill(i);
          await delay(10);
        }
      }
      await expectStorageError(
        driver.write(key, Readable.from(body()), { signal: controller.signal }),
        ErrorCode.Aborted,
      );
      expect(produced).toBeLessThan(16 * MiB);
      expect(await driver.exists(key)).toBe(false);
      expect(await listKeys(driver, scope)).toEqual([]);
    });

    it('a write with an already aborted signal rejects with ABORTED and writes nothing', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('pre-aborted');
      const key = `${scope}never.txt`;
      await expectStorageError(driver.write(key, 'never', { signal: AbortSignal.abort() }), ErrorCode.Aborted);
      expect(await listKeys(driver, scope)).toEqual([]);
    });

    it('an aborted overwrite keeps the previous object intact', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('abort-overwrite')}kept.txt`;
      await driver.write(key, 'previous');
      const controller = new AbortController();
      async function* body() {
        yield new Uint8Array(64 * 1024).fill(1);
        controller.abort();
        await delay(10);
        yield new Uint8Array(64 * 1024).fill(2);
      }
      await expectStorageError(
        driver.write(key, Readable.from(body()), { signal: controller.signal }),
        ErrorCode.Aborted,
      );
      const stat = await driver.stat(key);
      expect(stat.size).toBe('previous'.length);
    });

    it('reports progress ending with the full size as loaded and total for a body of known length', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('progress')}known.bin`;
      const size = 3 * MiB + 5;
      const events: TransferProgress[] = [];
      await driver.write(key, new Uint8Array(size).fill(7), { onProgress: (progress) => events.push(progress) });
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)).toEqual({ loaded: size, total: size });
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.loaded).toBeGreaterThanOrEqual(events[i - 1]?.loaded ?? 0);
      }
    });

    it('reports progress ending with the full size as loaded for a stream of unknown length', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('progress-stream')}unknown.bin`;
      const size = 2 * MiB + 17;
      const events: TransferProgress[] = [];
      await driver.write(key, generatedStream(size, 5), { onProgress: (progress) => events.push(progress) });
      expect(events.at(-1)?.loaded).toBe(size);
    });

    it('refuses a stream shorter than its declared contentLength and leaves no object', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('short-body');
      const key = `${scope}short.bin`;
      const error = await expectStorageError(
        driver.write(key, generatedStream(1000, 9), { contentLength: 2000 }),
        ErrorCode.InvalidInput,
      );
      expect(error.message).toMatch(/length|bytes/i);
      expect(await listKeys(driver, scope)).toEqual([]);
    });

    it('refuses a stream longer than its declared contentLength and leaves no object', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('long-body');
      const key = `${scope}long.bin`;
      await expectStorageError(
        driver.write(key, generatedStream(3000, 10), { contentLength: 2000 }),
        ErrorCode.InvalidInput,
      );
      expect(await listKeys(driver, scope)).toEqual([]);
    });
  });
}
