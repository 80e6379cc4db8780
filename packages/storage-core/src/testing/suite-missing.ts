import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, listKeys, type SuiteContext } from './suite-context.js';

/** Missing keys, delete and deleteMany. */
export function describeMissingAndDelete(ctx: SuiteContext): void {
  describe('missing keys and deletes', () => {
    it('reports NOT_FOUND on read and stat of a missing key, and false from exists', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('missing')}ghost.txt`;
      await expectStorageError(driver.read(key), ErrorCode.NotFound);
      await expectStorageError(driver.stat(key), ErrorCode.NotFound);
      expect(await driver.exists(key)).toBe(false);
    });

    it('treats a prefix of existing keys as missing, not as an object', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('folder-like');
      await driver.write(`${scope}folder/inside.txt`, 'x');
      await expectStorageError(driver.stat(`${scope}folder`), ErrorCode.NotFound);
      await expectStorageError(driver.read(`${scope}folder`), ErrorCode.NotFound);
      expect(await driver.exists(`${scope}folder`)).toBe(false);
    });

    it('deletes an object, and deleting a missing key succeeds', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('delete')}doomed.txt`;
      await driver.write(key, 'bye');
      await driver.delete(key);
      expect(await driver.exists(key)).toBe(false);
      await expect(driver.delete(key)).resolves.toBeUndefined();
    });

    it('deleteMany removes existing keys and counts missing keys as deleted', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('delete-many');
      const existing = [`${scope}a.txt`, `${scope}b/c.txt`, `${scope}d e+f.txt`];
      for (const key of existing) await driver.write(key, key);
      const missing = `${scope}never-written.txt`;
      const result = await driver.deleteMany([...existing, missing]);
      expect(result.failed).toEqual([]);
      expect([...result.deleted].sort()).toEqual([...existing, missing].sort());
      expect(await listKeys(driver, scope)).toEqual([]);
    });

    it('deleteMany of an empty list does nothing', async () => {
      expect(await ctx.driver().deleteMany([])).toEqual({ deleted: [], failed: [] });
    });
  });
}
