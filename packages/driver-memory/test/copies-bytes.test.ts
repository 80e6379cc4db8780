/**
 * A test double that shares buffers with its caller lies: a test that reuses
 * a buffer after write() would see the object change, which no real backend
 * allows. These prove the stored bytes are the driver's own.
 */
import { Readable } from 'node:stream';
import { readBytes, readText } from '@stowage/storage-core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryDriver } from '../src/index.js';

describe('memory driver keeps its own copy of the bytes', () => {
  it('a buffer changed right after write() is called (before it settles) does not change the object', async () => {
    const driver = createMemoryDriver();
    const buffer = Buffer.from('original bytes');
    const writing = driver.write('a.bin', buffer);
    buffer.fill(0x21);
    await writing;
    buffer.write('changed again');
    expect(await readText(driver, 'a.bin')).toBe('original bytes');
  });

  it('a stream chunk changed after the stream handed it over does not change the object', async () => {
    const driver = createMemoryDriver();
    // One chunk: nothing is concatenated, so only a copy on arrival keeps the object apart.
    const chunk = Buffer.from('the only chunk');
    await driver.write('s.txt', Readable.from([chunk]));
    chunk.fill(0x2d);
    expect(await readText(driver, 's.txt')).toBe('the only chunk');
  });

  it('changing what a read returned does not change the object', async () => {
    const driver = createMemoryDriver();
    await driver.write('r.txt', 'read me twice');
    const first = await readBytes(driver, 'r.txt');
    first.fill(0x3f);
    for await (const chunk of await driver.read('r.txt', { range: { start: 0, end: 3 } })) (chunk as Buffer).fill(0);
    expect(await readText(driver, 'r.txt')).toBe('read me twice');
  });

  it('metadata given to write() and returned by stat() are copies', async () => {
    const driver = createMemoryDriver();
    const metadata: Record<string, string> = { owner: 'first' };
    await driver.write('m.txt', 'x', { metadata });
    metadata.owner = 'changed';
    const stat = await driver.stat('m.txt');
    (stat.metadata as Record<string, string>).owner = 'changed too';
    expect((await driver.stat('m.txt')).metadata).toEqual({ owner: 'first' });
  });

  it('a read under way keeps streaming the version it opened when the object is overwritten', async () => {
    const driver = createMemoryDriver();
    const size = 256 * 1024;
    await driver.write('v.bin', Buffer.alloc(size, 1));
    const reading = await driver.read('v.bin');
    await driver.write('v.bin', Buffer.alloc(10, 2));
    const chunks: Buffer[] = [];
    for await (const chunk of reading) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(size);
    expect(bytes.every((byte) => byte === 1)).toBe(true);
  });
});
