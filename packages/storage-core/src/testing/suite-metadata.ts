import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './suite-context.js';

// Clocks of the test machine and a storage server may differ a little.
const CLOCK_TOLERANCE_MS = 5 * 60 * 1000;

/** Content type (given and detected), cache-control, metadata and the stat fields. */
export function describeMetadata(ctx: SuiteContext): void {
  describe('content type, cache-control, metadata and stat', () => {
    it('keeps the content type the caller gives, whatever the key says', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('explicit-type')}photo.png`;
      await driver.write(key, 'not really a png', { contentType: 'text/markdown; charset=utf-8' });
      expect((await driver.stat(key)).contentType).toBe('text/markdown; charset=utf-8');
    });

    it('detects the content type from the key extension when none is given', async () => {
      const driver = ctx.driver();
      const scope = ctx.scope('detected-type');
      const cases: Array<[string, string]> = [
        [`${scope}a.png`, 'image/png'],
        [`${scope}b.MP4`, 'video/mp4'],
        [`${scope}c.json`, 'application/json'],
        [`${scope}d.unknown-extension`, 'application/octet-stream'],
        [`${scope}no-extension`, 'application/octet-stream'],
      ];
      for (const [key, expected] of cases) {
        await driver.write(key, 'x');
        expect((await driver.stat(key)).contentType, key).toBe(expected);
      }
    });

    it('round-trips cache-control and user metadata through stat', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('metadata')}result.webp`;
      const metadata = { generator: 'gemini', 'job-id': '42', 'prompt-hash': 'ab12cd' };
      await driver.write(key, 'body', { cacheControl: 'public, max-age=31536000, immutable', metadata });
      const stat = await driver.stat(key);
      expect(stat.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(stat.metadata).toEqual(metadata);
    });

    it('reports no metadata and no cache-control when none were written', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('no-metadata')}plain.txt`;
      await driver.write(key, 'plain');
      const stat = await driver.stat(key);
      expect(stat.metadata).toEqual({});
      expect(stat.cacheControl).toBeUndefined();
    });

    it('stat reports key, size, etag, content type and a recent last-modified date', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('stat')}fields.txt`;
      const result = await driver.write(key, 'twelve bytes');
      const stat = await driver.stat(key);
      expect(stat.key).toBe(key);
      expect(stat.size).toBe(12);
      expect(typeof stat.etag).toBe('string');
      expect(stat.etag?.length).toBeGreaterThan(0);
      if (result.etag !== undefined) expect(stat.etag).toBe(result.etag);
      expect(stat.contentType).toBe('text/plain');
      expect(stat.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(stat.lastModified.getTime() - Date.now())).toBeLessThan(CLOCK_TOLERANCE_MS);
    });

    it('a write replaces the metadata of the object it overwrites', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('replace-metadata')}a.txt`;
      await driver.write(key, 'one', { metadata: { version: '1' }, cacheControl: 'no-cache' });
      await driver.write(key, 'two', { metadata: { version: '2' } });
      const stat = await driver.stat(key);
      expect(stat.metadata).toEqual({ version: '2' });
      expect(stat.cacheControl).toBeUndefined();
    });
  });
}
