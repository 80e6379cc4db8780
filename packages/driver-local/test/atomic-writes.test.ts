import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError, listKeys, readText } from '@stowage/storage-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';
import { filesUnder, treeOf } from './fs-helpers.js';

const KiB = 1024;
let root: string;
let driver: LocalDriver;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-atomic-'));
  driver = new LocalDriver({ root });
});

afterEach(async () => {
  await driver.close();
  await rm(root, { recursive: true, force: true });
});

/** A slow stream of `chunks` chunks of one repeated byte, so writers overlap with readers. */
function slowUniformBody(byte: number, chunks: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < chunks; i++) {
        yield Buffer.alloc(64 * KiB, byte);
        await delay(1);
      }
    })(),
  );
}

describe('atomic writes', () => {
  it('a reader of the final file never sees a torn or mixed file while writers overwrite it', async () => {
    const key = 'results/frame.bin';
    const size = 16 * 64 * KiB;
    await driver.write(key, Buffer.alloc(size, 0x61));
    let writing = true;
    const writers = (async () => {
      for (const byte of [0x62, 0x63, 0x64, 0x65, 0x66, 0x67]) await driver.write(key, slowUniformBody(byte, 16));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const bytes = await readFile(join(root, 'results', 'frame.bin'));
      expect(bytes.length).toBe(size);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
      reads++;
    }
    await writers;
    expect(reads).toBeGreaterThan(5);
    expect((await readFile(join(root, 'results', 'frame.bin')))[0]).toBe(0x67);
  });

  // Whether the folders it created stay depends on pruneEmptyFolders: see folder-pruning.test.ts.
  it('a body that fails mid-stream rejects and leaves no file behind: no object, no temp file', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(64 * KiB, 1);
        throw new Error('the source disk went away');
      })(),
    );
    await expect(driver.write('deep/folder/broken.bin', failing)).rejects.toThrow(/the source disk went away/);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a failed overwrite keeps the previous object and leaves no temp file next to it', async () => {
    await driver.write('kept.txt', 'previous', { metadata: { version: '1' } });
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('partial');
        throw new Error('network dropped');
      })(),
    );
    await expect(driver.write('kept.txt', failing, { metadata: { version: '2' } })).rejects.toThrow(/network dropped/);
    expect(await readText(driver, 'kept.txt')).toBe('previous');
    expect((await driver.stat('kept.txt')).metadata).toEqual({ version: '1' });
    expect((await treeOf(root)).filter((path) => path.includes('.stowage-tmp-'))).toEqual([]);
  });

  it('an aborted write leaves no file behind', async () => {
    const controller = new AbortController();
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(64 * KiB);
        controller.abort();
        await delay(5);
        yield Buffer.alloc(64 * KiB);
      })(),
    );
    await expectStorageError(driver.write('a/b/c.bin', body, { signal: controller.signal }), ErrorCode.Aborted);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a body longer than its declared contentLength is refused with INVALID_INPUT and leaves nothing', async () => {
    const error = await expectStorageError(
      driver.write('long.bin', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { contentLength: 15 }),
      ErrorCode.InvalidInput,
    );
    expect(error.message).toContain('more bytes than the declared length of 15 bytes');
    expect(await treeOf(root)).toEqual([]);
  });

  it('bytes whose length contradicts contentLength are refused before anything is written', async () => {
    await expectStorageError(driver.write('x.bin', new Uint8Array(4), { contentLength: 5 }), ErrorCode.InvalidInput);
    expect(await treeOf(root)).toEqual([]);
  });

  it('of many concurrent only-if-absent writers exactly one wins, and its content is what stays', async () => {
    const contenders = Array.from({ length: 24 }, (_, i) => `writer ${i}`);
    const outcomes = await Promise.allSettled(
      contenders.map((text) => driver.write('race/claim.txt', text, { ifNotExists: true, metadata: { by: text } })),
    );
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [contenders[i]] : []));
    expect(winners.length).toBe(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason.code).toBe(ErrorCode.PreconditionFailed);
    }
    expect(await readText(driver, 'race/claim.txt')).toBe(winners[0]);
    expect((await driver.stat('race/claim.txt')).metadata).toEqual({ by: winners[0] });
    expect((await treeOf(root)).filter((path) => path.includes('.stowage-tmp-'))).toEqual([]);
  });

  it('a missing root is reported as BUCKET_NOT_FOUND, and createRoot creates it instead', async () => {
    const missing = join(root, 'not-there');
    const error = await expectStorageError(
      new LocalDriver({ root: missing }).write('a.txt', 'x'),
      ErrorCode.BucketNotFound,
    );
    expect(error.message).toBe(`root directory "${missing}" does not exist`);
    await new LocalDriver({ root: missing, createRoot: true }).write('a.txt', 'x');
    expect(await readFile(join(missing, 'a.txt'), 'utf8')).toBe('x');
  });

  it('refuses to write under a key whose parent is an object, naming the conflict', async () => {
    await driver.write('photo.png', 'png');
    const error = await expectStorageError(driver.write('photo.png/thumb.png', 'thumb'), ErrorCode.InvalidInput);
    expect(error.message).toContain('local disk cannot hold an object and a folder of the same name');
    expect(await readText(driver, 'photo.png')).toBe('png');
  });

  it('writes from a file on disk without changing the source', async () => {
    const source = join(root, 'incoming.bin');
    await writeFile(source, Buffer.alloc(100 * KiB, 9));
    const result = await driver.write('stored/copy.bin', { filePath: source });
    expect(result.size).toBe(100 * KiB);
    expect((await readFile(source)).length).toBe(100 * KiB);
  });
});

describe('objects and folders of the same name', () => {
  it('refuses to write an object where a folder of other objects is, even only-if-absent, with INVALID_INPUT', async () => {
    await driver.write('album/one.jpg', '1');
    for (const options of [{}, { ifNotExists: true }]) {
      const error = await expectStorageError(driver.write('album', 'x', options), ErrorCode.InvalidInput);
      expect(error.message).toContain('the key names a folder on disk');
    }
    expect(await readText(driver, 'album/one.jpg')).toBe('1');
    expect(await driver.exists('album')).toBe(false);
  });
});

describe('in-flight writes', () => {
  it('hides the temp file of a write in progress: the key is absent until the write completes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const body = Readable.from(
      (async function* () {
        yield Buffer.from('first half, ');
        await gate;
        yield Buffer.from('second half');
      })(),
    );
    const pending = driver.write('inflight/video.mp4', body);
    await delay(50);
    expect((await treeOf(root)).some((path) => path.startsWith('inflight/.stowage-tmp-'))).toBe(true);
    expect(await listKeys(driver)).toEqual([]);
    expect(await driver.exists('inflight/video.mp4')).toBe(false);
    release();
    await pending;
    expect(await listKeys(driver)).toEqual(['inflight/video.mp4']);
    expect(await readText(driver, 'inflight/video.mp4')).toBe('first half, second half');
  });
});
