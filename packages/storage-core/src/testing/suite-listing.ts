import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { listKeys, type SuiteContext } from './suite-context.js';

/** Listing across pages, by prefix, with plain-string prefix semantics. */
export function describeListing(ctx: SuiteContext): void {
  describe('listing', () => {
    it('lists more than 1,000 objects across pages, each exactly once, and by sub-prefix', {
      timeout: ctx.options.slowTestTimeoutMs,
    }, async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('paging');
      const count = ctx.options.listingObjectCount;
      const keys = Array.from({ length: count }, (_, i) => `${scope}${i % 2 === 0 ? 'even' : 'odd'}/item-${i}.txt`);
      const limit = pLimit(ctx.options.concurrency);
      await Promise.all(keys.map((key) => limit(() => driver.write(key, key))));

      const listed = await listKeys(driver, scope);
      expect(listed.length).toBe(count);
      expect(new Set(listed).size).toBe(count);
      expect([...listed].sort()).toEqual([...keys].sort());

      const smallPages = await listKeys(driver, scope, 100);
      expect([...smallPages].sort()).toEqual([...keys].sort());

      const odd = await listKeys(driver, `${scope}odd/`);
      expect([...odd].sort()).toEqual(keys.filter((key) => key.includes('/odd/')).sort());

      const result = await driver.deleteMany(keys);
      expect(result.failed).toEqual([]);
      expect(result.deleted.length).toBe(count);
      expect(await listKeys(driver, scope)).toEqual([]);
    });

    // No key is also a "folder" of other keys here: file systems cannot hold both.
    it('treats the prefix as a plain string: "a/b" matches "a/b/…", "a/bc" and "a/b-…"', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('plain-prefix');
      const matching = [`${scope}a/b-d.txt`, `${scope}a/b/c.txt`, `${scope}a/bc`, `${scope}a/bcd/e.txt`];
      const other = [`${scope}a/a.txt`, `${scope}a/c/b.txt`, `${scope}ab.txt`];
      for (const key of [...matching, ...other]) await driver.write(key, key);
      expect((await listKeys(driver, `${scope}a/b`)).sort()).toEqual([...matching].sort());
      expect((await listKeys(driver, `${scope}a/b/`)).sort()).toEqual([`${scope}a/b/c.txt`]);
      expect((await listKeys(driver, `${scope}a`)).sort()).toEqual([...matching, ...other].sort());
    });

    // Reconcile merges a listing with the catalog's keys in this order, so any other order would
    // make recorded objects look missing and unrecorded ones look recorded.
    it('lists keys in UTF-8 byte order (the order S3 lists in), across folders and pages', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('order');
      // "-" (0x2d) sorts before "/" (0x2f) and "0": a folder is not simply listed where its name sorts.
      // UTF-16 order would put the emoji (surrogates, 0xD83D) before U+FFFD and U+E000; UTF-8 puts it after.
      const names = ['a/b.txt', 'a-c.txt', 'a0.txt', 'z.txt', 'é.txt', '😀.txt', '\uE000.txt', '\uFFFD.txt', 'A.txt'];
      const keys = names.map((name) => `${scope}${name}`);
      for (const key of keys) await driver.write(key, key);
      const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(await listKeys(driver, scope)).toEqual(expected);
      expect(await listKeys(driver, scope, 2)).toEqual(expected);
      await driver.deleteMany(keys);
    });

    it('lists nothing for a prefix that matches no object', async () => {
      expect(await listKeys(ctx.driver(), `${ctx.scope('nothing')}missing/`)).toEqual([]);
    });

    it('gives each listed entry its size, etag and last-modified date', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('entries');
      await driver.write(`${scope}five.txt`, '12345');
      const entries = [];
      for await (const entry of driver.list(scope)) entries.push(entry);
      expect(entries.length).toBe(1);
      const [entry] = entries;
      expect(entry?.key).toBe(`${scope}five.txt`);
      expect(entry?.size).toBe(5);
      expect(entry?.lastModified).toBeInstanceOf(Date);
      expect(entry?.etag).toBe((await driver.stat(`${scope}five.txt`)).etag);
    });
  });
}
