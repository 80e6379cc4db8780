import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, readText, type SuiteContext } from './suite-context.js';

/** Copy and move inside one backend. */
export function describeCopyMove(ctx: SuiteContext): void {
  describe('copy and move', () => {
    it('copies an object with its content, content type and metadata, keeping the source', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('copy');
      await driver.write(`${scope}src.bin`, 'copied body', { contentType: 'image/webp', metadata: { tag: 'v1' } });
      await driver.copy(`${scope}src.bin`, `${scope}deep/dst copy+1.bin`);
      expect(await readText(driver, `${scope}deep/dst copy+1.bin`)).toBe('copied body');
      const stat = await driver.stat(`${scope}deep/dst copy+1.bin`);
      expect(stat.contentType).toBe('image/webp');
      expect(stat.metadata).toEqual({ tag: 'v1' });
      expect(await readText(driver, `${scope}src.bin`)).toBe('copied body');
    });

    it('copy replaces an existing destination', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('copy-over');
      await driver.write(`${scope}src.txt`, 'new');
      await driver.write(`${scope}dst.txt`, 'old content');
      await driver.copy(`${scope}src.txt`, `${scope}dst.txt`);
      expect(await readText(driver, `${scope}dst.txt`)).toBe('new');
    });

    it('copy of a missing source fails with NOT_FOUND and creates no destination', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('copy-missing');
      await expectStorageError(driver.copy(`${scope}ghost.txt`, `${scope}dst.txt`), ErrorCode.NotFound);
      expect(await driver.exists(`${scope}dst.txt`)).toBe(false);
    });

    it('moves an object: the destination has the content and metadata, the source is gone', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('move');
      await driver.write(`${scope}from.txt`, 'moving', { metadata: { step: 'one' }, contentType: 'text/csv' });
      await driver.move(`${scope}from.txt`, `${scope}to/there.txt`);
      expect(await readText(driver, `${scope}to/there.txt`)).toBe('moving');
      const stat = await driver.stat(`${scope}to/there.txt`);
      expect(stat.metadata).toEqual({ step: 'one' });
      expect(stat.contentType).toBe('text/csv');
      expect(await driver.exists(`${scope}from.txt`)).toBe(false);
    });

    it('move of a missing source fails with NOT_FOUND', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('move-missing');
      await expectStorageError(driver.move(`${scope}ghost.txt`, `${scope}dst.txt`), ErrorCode.NotFound);
      expect(await driver.exists(`${scope}dst.txt`)).toBe(false);
    });

    it('copy and move with only-if-absent refuse an existing destination with PRECONDITION_FAILED', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('copy-if-absent');
      await driver.write(`${scope}src.txt`, 'source');
      await driver.write(`${scope}dst.txt`, 'destination');
      await expectStorageError(
        driver.copy(`${scope}src.txt`, `${scope}dst.txt`, { ifNotExists: true }),
        ErrorCode.PreconditionFailed,
      );
      await expectStorageError(
        driver.move(`${scope}src.txt`, `${scope}dst.txt`, { ifNotExists: true }),
        ErrorCode.PreconditionFailed,
      );
      expect(await readText(driver, `${scope}dst.txt`)).toBe('destination');
      expect(await readText(driver, `${scope}src.txt`)).toBe('source');
      await driver.copy(`${scope}src.txt`, `${scope}free.txt`, { ifNotExists: true });
      expect(await readText(driver, `${scope}free.txt`)).toBe('source');
    });
  });
}
