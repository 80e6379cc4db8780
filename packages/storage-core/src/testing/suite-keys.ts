import { describe, expect, it } from 'vitest';
import { listKeys, readText, type SuiteContext } from './suite-context.js';

/** Awkward but valid key characters that URL and path handling tend to mangle. */
const AWKWARD_NAMES = [
  'ünïcødé-日本語-😀.txt',
  'with spaces and  double  spaces.txt',
  'plus+sign+c++.txt',
  'percent%20encoded%2Fnot%.txt',
  "mixed ü+%&=?#;,@$!~'()[]{}.txt",
  'deep/nested/prefix/that/goes/on/and/on/file.txt',
];

/** Keys with unicode, spaces, "+", "%" and deep prefixes survive every operation unchanged. */
export function describeKeys(ctx: SuiteContext): void {
  describe('awkward but valid keys', () => {
    it('writes, reads, stats and lists keys with unicode, spaces, "+", "%" and deep prefixes exactly', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('awkward');
      const keys = AWKWARD_NAMES.map((name) => `${scope}${name}`);
      for (const key of keys) {
        await driver.write(key, `content of ${key}`);
      }
      for (const key of keys) {
        expect(await readText(driver, key), key).toBe(`content of ${key}`);
        expect((await driver.stat(key)).key, key).toBe(key);
        expect(await driver.exists(key), key).toBe(true);
      }
      expect((await listKeys(driver, scope)).sort()).toEqual([...keys].sort());
    });

    it('lists a key that contains "+" by a prefix that contains "+"', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('plus-prefix');
      await driver.write(`${scope}a+b/c d.txt`, '1');
      await driver.write(`${scope}a b/c d.txt`, '2');
      expect(await listKeys(driver, `${scope}a+b/`)).toEqual([`${scope}a+b/c d.txt`]);
    });

    it(`keeps a key of exactly ${ctx.options.maxKeyBytes} UTF-8 bytes made of multi-byte characters`, async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('long');
      const bytes = ctx.options.maxKeyBytes;
      const key = keyOfExactly(bytes, scope);
      expect(Buffer.byteLength(key)).toBe(bytes);
      await driver.write(key, 'long key');
      expect(await readText(driver, key)).toBe('long key');
      expect(await listKeys(driver, scope)).toEqual([key]);
    });
  });
}

/**
 * A key of exactly `bytes` UTF-8 bytes under `scope`, of two-byte characters in
 * segments of at most 200 bytes (file systems limit one name to 255 bytes).
 */
function keyOfExactly(bytes: number, scope: string): string {
  let key = scope;
  while (Buffer.byteLength(key) < bytes) {
    const room = bytes - Buffer.byteLength(key);
    if (room <= 201) {
      key += room % 2 === 0 ? 'é'.repeat(room / 2) : `x${'é'.repeat((room - 1) / 2)}`;
    } else {
      key += `${'é'.repeat(100)}/`;
    }
  }
  return key;
}
