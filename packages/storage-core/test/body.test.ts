import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyBytes, ErrorCode, isFileSource, normalizeBody, StorageError, streamToBuffer } from '../src/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-body-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('normalizeBody', () => {
  it('turns bytes into a re-openable stream of known length', async () => {
    const body = await normalizeBody(new Uint8Array([1, 2, 3]));
    expect(body).toMatchObject({ length: 3, reopenable: true });
    expect([...(await streamToBuffer(body.stream))]).toEqual([1, 2, 3]);
  });

  it('encodes a string as UTF-8 and counts bytes, not characters', async () => {
    const body = await normalizeBody('é😀');
    expect(body.length).toBe(6);
    expect((await streamToBuffer(body.stream)).toString('utf8')).toBe('é😀');
  });

  it('streams { filePath } with the file size as length', async () => {
    const filePath = join(dir, 'source.bin');
    await writeFile(filePath, Buffer.alloc(1234, 7));
    const body = await normalizeBody({ filePath });
    expect(body).toMatchObject({ length: 1234, reopenable: true });
    expect((await streamToBuffer(body.stream)).length).toBe(1234);
  });

  it('refuses a missing file with NOT_FOUND and a folder with INVALID_INPUT, naming the key', async () => {
    for (const [filePath, code] of [
      [join(dir, 'missing.bin'), ErrorCode.NotFound],
      [dir, ErrorCode.InvalidInput],
    ] as const) {
      const error = await normalizeBody({ filePath }, 'target/key.bin').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe(code);
      expect((error as StorageError).message).toContain('"target/key.bin"');
    }
  });

  it('passes Node and web streams through with unknown length, not re-openable', async () => {
    const node = await normalizeBody(Readable.from([Buffer.from('ab'), Buffer.from('c')]));
    expect(node).toMatchObject({ length: undefined, reopenable: false });
    expect((await streamToBuffer(node.stream)).toString()).toBe('abc');
    const web = await normalizeBody(new Blob(['web body']).stream());
    expect(web).toMatchObject({ length: undefined, reopenable: false });
    expect((await streamToBuffer(web.stream)).toString()).toBe('web body');
  });

  it('refuses anything else with INVALID_INPUT listing what is accepted', async () => {
    await expect(normalizeBody(42 as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: expect.stringContaining('Uint8Array, a string, a Node Readable, a web ReadableStream or { filePath }'),
    });
  });
});

describe('body helpers', () => {
  it('bodyBytes gives bytes for in-memory bodies only', () => {
    expect(bodyBytes('hi')).toEqual(Buffer.from('hi'));
    expect(bodyBytes(new Uint8Array([9]))).toEqual(new Uint8Array([9]));
    expect(bodyBytes({ filePath: '/x' })).toBeUndefined();
    expect(bodyBytes(Readable.from([]))).toBeUndefined();
  });

  it('isFileSource recognises { filePath } only', () => {
    expect(isFileSource({ filePath: '/x' })).toBe(true);
    expect(isFileSource({ path: '/x' })).toBe(false);
    expect(isFileSource(null)).toBe(false);
  });
});
