import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError, listKeys, readText } from '@stowage/storage-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';
import { treeOf } from './fs-helpers.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-folders-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A body that fails after its first chunk, like a source disk going away mid-upload. */
function failingBody(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from('partial');
      throw new Error('the source disk went away');
    })(),
  );
}

/**
 * Plays the media platform's generator against offload, `rounds` times: the
 * generator runs `mkdir -p images/gemini` then writes `<i>.png` with plain fs,
 * while the driver deletes `<i-1>.png`, the folder's last file. A few event-loop
 * turns of jitter before the generator starts move its two steps across the
 * whole delete. Returns the generator's failures.
 */
async function generatorAgainstDeletes(driver: LocalDriver, rounds: number): Promise<Error[]> {
  const dir = join(root, 'images', 'gemini');
  await driver.write('images/gemini/0.png', 'frame 0', { metadata: { round: '0' } });
  const failures: Error[] = [];
  for (let i = 1; i <= rounds; i++) {
    const generator = (async () => {
      for (let turn = 0; turn < i % 6; turn++) await nextTurn();
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${i}.png`), `frame ${i}`);
    })();
    const [generated, deleted] = await Promise.allSettled([generator, driver.delete(`images/gemini/${i - 1}.png`)]);
    if (deleted.status === 'rejected') throw deleted.reason;
    if (generated.status === 'rejected') {
      failures.push(generated.reason);
      // Put the frame back so the next round again deletes the folder's only file.
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${i}.png`), `frame ${i}`);
    }
  }
  return failures;
}

describe('by default, folders of objects are never removed', () => {
  it('a generator doing mkdir -p + plain writeFile never fails while the driver deletes the last file of that folder', async () => {
    const driver = new LocalDriver({ root });
    const rounds = 500;
    expect(await generatorAgainstDeletes(driver, rounds)).toEqual([]);
    expect(await listKeys(driver)).toEqual([`images/gemini/${rounds}.png`]);
    expect(await readFile(join(root, 'images', 'gemini', `${rounds}.png`), 'utf8')).toBe(`frame ${rounds}`);
  });

  it('keeps the folders a delete empties, but removes their sidecar folders', async () => {
    const driver = new LocalDriver({ root });
    await driver.write('images/gemini/a.png', 'a', { contentType: 'image/png', metadata: { seed: '1' } });
    await driver.delete('images/gemini/a.png');
    expect(await treeOf(root)).toEqual(['images/', 'images/gemini/']);
  });

  it('keeps the source folders a move empties, but removes their sidecar folders', async () => {
    const driver = new LocalDriver({ root });
    await driver.write('old/deep/a.txt', 'a', { metadata: { m: '1' } });
    await driver.move('old/deep/a.txt', 'b.txt');
    expect(await treeOf(root)).toEqual(['.stowage-meta/', '.stowage-meta/b.txt.json', 'b.txt', 'old/', 'old/deep/']);
    expect(await listKeys(driver)).toEqual(['b.txt']);
  });

  it('a failed write leaves no file behind, only the folders it created', async () => {
    const driver = new LocalDriver({ root });
    await expect(driver.write('deep/folder/broken.bin', failingBody())).rejects.toThrow(/the source disk went away/);
    expect(await treeOf(root)).toEqual(['deep/', 'deep/folder/']);
  });

  it('leaves no probe folder behind: it is Stowage’s own', async () => {
    const driver = new LocalDriver({ root });
    expect((await driver.probe()).ok).toBe(true);
    expect(await treeOf(root)).toEqual([]);
  });

  it('refuses to write an object where an empty folder was kept, naming the folder, and keeps the folder', async () => {
    const driver = new LocalDriver({ root });
    await driver.write('album/one.jpg', '1');
    await driver.delete('album/one.jpg');
    for (const options of [{}, { ifNotExists: true }]) {
      const error = await expectStorageError(driver.write('album', 'x', options), ErrorCode.InvalidInput);
      expect(error.message).toContain('the key names a folder on disk');
    }
    expect(await treeOf(root)).toEqual(['album/']);
  });
});

describe('with pruneEmptyFolders: true, empty folders disappear as on an object store', () => {
  it('deleting the last object of a folder removes the folders left empty, but never the root', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders: true });
    await driver.write('a/b/c/one.txt', '1', { metadata: { n: '1' } });
    await driver.write('a/two.txt', '2');
    await driver.delete('a/b/c/one.txt');
    expect(await treeOf(root)).toEqual(['a/', 'a/two.txt']);
    await driver.delete('a/two.txt');
    expect(await treeOf(root)).toEqual([]);
  });

  it('a move leaves no empty folders or stale sidecars at the source', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders: true });
    await driver.write('old/deep/a.txt', 'a', { metadata: { m: '1' } });
    await driver.move('old/deep/a.txt', 'b.txt');
    expect(await treeOf(root)).toEqual(['.stowage-meta/', '.stowage-meta/b.txt.json', 'b.txt']);
  });

  it('a failed write leaves nothing behind: no object, no temp file, no folder', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders: true });
    await expect(driver.write('deep/folder/broken.bin', failingBody())).rejects.toThrow(/the source disk went away/);
    expect(await treeOf(root)).toEqual([]);
  });

  it('an object can take the name of a folder its deletes emptied', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders: true });
    await driver.write('album/one.jpg', '1');
    await driver.delete('album/one.jpg');
    await driver.write('album', 'now a file');
    expect(await readText(driver, 'album')).toBe('now a file');
  });
});

describe.each([
  ['folders kept (default)', false],
  ['pruneEmptyFolders: true', true],
])('%s', (_mode, pruneEmptyFolders) => {
  it('writes with metadata keep succeeding while deletes empty the same folder', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders });
    await driver.write('churn/0.txt', '0');
    for (let i = 1; i <= 150; i++) {
      await Promise.all([
        driver.write(`churn/${i}.txt`, String(i), { metadata: { i: String(i) } }),
        driver.delete(`churn/${i - 1}.txt`),
      ]);
    }
    expect(await listKeys(driver)).toEqual(['churn/150.txt']);
    expect((await driver.stat('churn/150.txt')).metadata).toEqual({ i: '150' });
  });

  it('moves into a folder keep succeeding while deletes empty it', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders });
    await driver.write('inbox/0.txt', '0');
    for (let i = 1; i <= 100; i++) {
      await driver.write(`staging/${i}.txt`, String(i), { metadata: { i: String(i) } });
      await Promise.all([driver.move(`staging/${i}.txt`, `inbox/${i}.txt`), driver.delete(`inbox/${i - 1}.txt`)]);
    }
    expect(await listKeys(driver)).toEqual(['inbox/100.txt']);
    expect((await driver.stat('inbox/100.txt')).metadata).toEqual({ i: '100' });
  });

  it('lists only objects: empty folders, at any depth, never show up and never hide their neighbours', async () => {
    const driver = new LocalDriver({ root, pruneEmptyFolders });
    for (const folder of ['empty', 'a/empty/deeper', 'a/b-empty', 'z/'])
      await mkdir(join(root, folder), { recursive: true });
    const keys = ['a/b.txt', 'a/c/d.txt', 'a/b-full/x.txt', 'm.txt'];
    for (const key of keys) await driver.write(key, key);
    await driver.write('gone/only.txt', 'soon deleted');
    await driver.delete('gone/only.txt');
    expect(await listKeys(driver)).toEqual(['a/b-full/x.txt', 'a/b.txt', 'a/c/d.txt', 'm.txt']);
    expect(await listKeys(driver, 'a/b')).toEqual(['a/b-full/x.txt', 'a/b.txt']);
    expect(await listKeys(driver, 'empty')).toEqual([]);
    expect(await listKeys(driver, 'a/empty/')).toEqual([]);
    expect(await listKeys(driver, 'gone/')).toEqual([]);
    expect(await listKeys(driver, 'm.txt', 1)).toEqual(['m.txt']);
    expect(await driver.exists('empty')).toBe(false);
    await expectStorageError(driver.stat('gone'), ErrorCode.NotFound);
  });
});
