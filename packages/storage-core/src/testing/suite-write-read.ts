import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestStream, generatedStream, generatedWebStream } from './generated-data.js';
import { listKeys, readBytes, readText, type SuiteContext } from './suite-context.js';

/** Writing from every body kind, the 0-byte and the large streamed object, overwrite. */
export function describeWriteRead(ctx: SuiteContext): void {
  describe('writing and reading', () => {
    it('a fresh driver lists no objects', async () => {
      expect(await listKeys(ctx.driver())).toEqual([]);
    });

    it('writes a 0-byte object and reads back nothing, with size 0', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('empty')}empty.bin`;
      const result = await driver.write(key, new Uint8Array(0));
      expect(result.size).toBe(0);
      expect(result.key).toBe(key);
      expect((await readBytes(driver, key)).length).toBe(0);
      expect((await driver.stat(key)).size).toBe(0);
      expect(await driver.exists(key)).toBe(true);
    });

    it('writes from bytes and reads the same bytes back', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('bytes')}data.bin`;
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255, 10, 13]);
      const result = await driver.write(key, bytes);
      expect(result.size).toBe(bytes.length);
      expect([...(await readBytes(driver, key))]).toEqual([...bytes]);
    });

    it('writes from a string as UTF-8 and reads it back', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('string')}note.txt`;
      const text = 'héllo wörld ✓ 𝄞\n';
      const result = await driver.write(key, text);
      expect(result.size).toBe(Buffer.byteLength(text));
      expect(await readText(driver, key)).toBe(text);
    });

    it('writes from a Node stream of unknown length and reads it back', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('node-stream')}stream.bin`;
      const size = 300_001;
      const result = await driver.write(key, generatedStream(size, 11));
      expect(result.size).toBe(size);
      expect(await digestStream(await driver.read(key))).toEqual(await digestStream(generatedStream(size, 11)));
    });

    it('writes from a web ReadableStream and reads it back', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('web-stream')}stream.bin`;
      const size = 200_003;
      const result = await driver.write(key, generatedWebStream(size, 12));
      expect(result.size).toBe(size);
      expect(await digestStream(await driver.read(key))).toEqual(await digestStream(generatedStream(size, 12)));
    });

    it('writes from { filePath } and reads the file content back', async () => {
      const driver = ctx.driver();
      const dir = await mkdtemp(join(tmpdir(), 'stowage-conformance-'));
      try {
        const filePath = join(dir, 'source.bin');
        const content = Buffer.from('file body '.repeat(1000));
        await writeFile(filePath, content);
        const key = `${ctx.scope('file-path')}from-file.bin`;
        const result = await driver.write(key, { filePath });
        expect(result.size).toBe(content.length);
        expect((await readBytes(driver, key)).equals(content)).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('streams a body larger than 16 MiB, generated on the fly, and reads it back byte for byte', {
      timeout: ctx.options.slowTestTimeoutMs,
    }, async () => {
      const driver = ctx.driver();
      const size = ctx.options.largeObjectBytes;
      const key = `${ctx.scope('large')}large.bin`;
      const result = await driver.write(key, generatedStream(size, 7));
      expect(result.size).toBe(size);
      expect((await driver.stat(key)).size).toBe(size);
      const readBack = await digestStream(await driver.read(key));
      const expected = await digestStream(generatedStream(size, 7));
      expect(readBack).toEqual(expected);
      await driver.delete(key);
    });

    it('writes a Node stream with a declared contentLength', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('declared-length')}data.bin`;
      const size = 123_457;
      const result = await driver.write(key, generatedStream(size, 3), { contentLength: size });
      expect(result.size).toBe(size);
      expect(await digestStream(await driver.read(key))).toEqual(await digestStream(generatedStream(size, 3)));
    });

    it('overwrites an existing object: the new content and size replace the old', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('overwrite')}doc.txt`;
      await driver.write(key, 'the first, longer version');
      const before = await driver.stat(key);
      await driver.write(key, 'second');
      expect(await readText(driver, key)).toBe('second');
      const after = await driver.stat(key);
      expect(after.size).toBe(6);
      expect(after.etag).not.toBe(before.etag);
    });

    it('accepts a Readable.from of Buffers as a body', async () => {
      const driver = ctx.driver();
      const key = `${ctx.scope('buffers')}parts.txt`;
      await driver.write(key, Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')]));
      expect(await readText(driver, key)).toBe('abcdef');
    });
  });
}
