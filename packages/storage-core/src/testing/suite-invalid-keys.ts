import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectStorageError, listKeys, readText, type SuiteContext } from './suite-context.js';

/** Keys every driver must refuse, with why. */
export const INVALID_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['a ".." segment', '../x'],
  ['a leading "/"', '/abs'],
  ['an empty segment', 'a//b'],
  ['a backslash', 'a\\b'],
  ['a NUL byte', 'a\u0000b'],
  ['more than 1,024 bytes', 'k'.repeat(1025)],
];

/** Invalid keys are refused with INVALID_KEY by every operation, before anything is written. */
export function describeInvalidKeys(ctx: SuiteContext): void {
  describe('invalid keys', () => {
    for (const [why, key] of INVALID_KEYS) {
      it(`refuses a key with ${why} on every operation with INVALID_KEY and writes nothing`, async () => {
        const driver = ctx.driver();
        const guard = `${ctx.scope('invalid-guard')}source.txt`;
        await driver.write(guard, 'guard');
        const before = await listKeys(driver);

        await expectStorageError(driver.write(key, 'x'), ErrorCode.InvalidKey);
        await expectStorageError(driver.write(key, 'x', { ifNotExists: true }), ErrorCode.InvalidKey);
        await expectStorageError(driver.read(key), ErrorCode.InvalidKey);
        await expectStorageError(driver.stat(key), ErrorCode.InvalidKey);
        await expectStorageError(driver.exists(key), ErrorCode.InvalidKey);
        await expectStorageError(driver.delete(key), ErrorCode.InvalidKey);
        await expectStorageError(driver.deleteMany([guard, key]), ErrorCode.InvalidKey);
        await expectStorageError(driver.copy(key, `${guard}.copy`), ErrorCode.InvalidKey);
        await expectStorageError(driver.copy(guard, key), ErrorCode.InvalidKey);
        await expectStorageError(driver.move(key, `${guard}.moved`), ErrorCode.InvalidKey);
        await expectStorageError(driver.move(guard, key), ErrorCode.InvalidKey);
        await expectStorageError(listKeys(driver, key), ErrorCode.InvalidKey);
        if (driver.capabilities.presignedUrls) {
          await expectStorageError(driver.presignGet(key), ErrorCode.InvalidKey);
          await expectStorageError(
            driver.presignPut(key, { contentType: 'text/plain', contentLength: 1 }),
            ErrorCode.InvalidKey,
          );
        }
        if (driver.capabilities.publicUrls) {
          await expectStorageError(() => driver.publicUrl(key), ErrorCode.InvalidKey);
        }

        expect(await listKeys(driver)).toEqual(before);
        expect(await readText(driver, guard)).toBe('guard');
      });
    }
  });
}
