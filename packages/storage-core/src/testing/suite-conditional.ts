import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, readText, type SuiteContext } from './suite-context.js';

/** The "only if absent" write. */
export function describeConditionalWrites(ctx: SuiteContext): void {
  describe('only-if-absent writes', () => {
    it('writes when the key does not exist yet', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('if-absent')}new.txt`;
      await driver.write(key, 'first', { ifNotExists: true });
      expect(await readText(driver, key)).toBe('first');
    });

    it('refuses with PRECONDITION_FAILED when the key exists, and the old content stays intact', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('if-absent-exists')}taken.txt`;
      await driver.write(key, 'original', { contentType: 'text/plain', metadata: { owner: 'first' } });
      await expectStorageError(
        driver.write(key, 'intruder', { ifNotExists: true, metadata: { owner: 'second' } }),
        ErrorCode.PreconditionFailed,
      );
      expect(await readText(driver, key)).toBe('original');
      expect((await driver.stat(key)).metadata).toEqual({ owner: 'first' });
    });

    it('refuses a streamed only-if-absent write on an existing key without touching it', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('if-absent-stream')}taken.bin`;
      await driver.write(key, 'kept');
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('replacement'));
          controller.close();
        },
      });
      await expectStorageError(driver.write(key, body, { ifNotExists: true }), ErrorCode.PreconditionFailed);
      expect(await readText(driver, key)).toBe('kept');
    });
  });
}
