import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError, listKeys, readText } from '@stowage/storage-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';
import { treeOf } from './fs-helpers.js';

let root: string;
let driver: LocalDriver;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-sidecar-'));
  driver = new LocalDriver({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('objects are plain files; metadata lives in hidden sidecars', () => {
  it('stores the object as a plain file at its key path and the metadata under .stowage-meta', async () => {
    await driver.write('images/cat.png', 'png bytes', { contentType: 'image/png', metadata: { seed: '7' } });
    expect(await readFile(join(root, 'images', 'cat.png'), 'utf8')).toBe('png bytes');
    expect(await treeOf(root)).toEqual([
      '.stowage-meta/',
      '.stowage-meta/images.d/',
      '.stowage-meta/images.d/cat.png.json',
      'images/',
      'images/cat.png',
    ]);
    expect(await listKeys(driver)).toEqual(['images/cat.png']);
  });

  it('writes no sidecar when there is nothing beyond what the key implies', async () => {
    await driver.write('plain/notes.txt', 'text');
    expect(await treeOf(root)).toEqual(['plain/', 'plain/notes.txt']);
    expect((await driver.stat('plain/notes.txt')).contentType).toBe('text/plain');
  });

  it('treats a file the app put on disk directly as an object with defaults', async () => {
    await mkdir(join(root, 'results'), { recursive: true });
    await writeFile(join(root, 'results', 'render.mp4'), 'video');
    expect(await listKeys(driver)).toEqual(['results/render.mp4']);
    const stat = await driver.stat('results/render.mp4');
    expect(stat).toMatchObject({ size: 5, contentType: 'video/mp4', metadata: {}, cacheControl: undefined });
    expect(await readText(driver, 'results/render.mp4')).toBe('video');
  });

  it('ignores a sidecar that describes another file (replaced on disk behind the driver)', async () => {
    await driver.write('doc.txt', 'one', { contentType: 'text/markdown', metadata: { owner: 'old' } });
    await writeFile(join(root, 'doc.txt.new'), 'two');
    await rename(join(root, 'doc.txt.new'), join(root, 'doc.txt'));
    const stat = await driver.stat('doc.txt');
    expect(stat.metadata).toEqual({});
    expect(stat.contentType).toBe('text/plain');
  });

  it('keeps the sidecars of keys "a" and "a.json/x" apart', async () => {
    await driver.write('a', 'A', { metadata: { which: 'a' } });
    await driver.write('a.json/x', 'X', { metadata: { which: 'a.json/x' } });
    expect((await driver.stat('a')).metadata).toEqual({ which: 'a' });
    expect((await driver.stat('a.json/x')).metadata).toEqual({ which: 'a.json/x' });
    expect((await listKeys(driver)).sort()).toEqual(['a', 'a.json/x']);
  });

  it('removes the sidecar and its folders with its object (the object folder stays by default)', async () => {
    await driver.write('x/y.txt', 'y', { cacheControl: 'no-store' });
    await driver.delete('x/y.txt');
    expect(await treeOf(root)).toEqual(['x/']);
  });

  it('lower-cases metadata keys and refuses ones that cannot be HTTP header names', async () => {
    await driver.write('m.txt', 'm', { metadata: { 'Job-ID': '9' } });
    expect((await driver.stat('m.txt')).metadata).toEqual({ 'job-id': '9' });
    await expectStorageError(driver.write('n.txt', 'n', { metadata: { 'job id': '9' } }), ErrorCode.InvalidInput);
    await expectStorageError(driver.write('n.txt', 'n', { metadata: { ok: 'line\nbreak' } }), ErrorCode.InvalidInput);
    await expectStorageError(driver.write('n.txt', 'n', { cacheControl: 'a\r\nb' }), ErrorCode.InvalidInput);
    expect(await driver.exists('n.txt')).toBe(false);
  });
});

describe('names the local driver keeps for itself', () => {
  it.each([
    ['the metadata folder', '.stowage-meta/a.json', 'reserved by the local driver for metadata'],
    ['the metadata folder itself', '.stowage-meta', 'reserved by the local driver for metadata'],
    ['a temp-file name', 'a/.stowage-tmp-0123', 'reserved by the local driver'],
    ['a segment over 250 bytes', `a/${'n'.repeat(251)}`, 'longer than 250 UTF-8 bytes'],
  ])('refuses %s with INVALID_KEY', async (_why, key, reason) => {
    const error = await expectStorageError(driver.write(key, 'x'), ErrorCode.InvalidKey);
    expect(error.message).toContain(reason);
    expect(await treeOf(root)).toEqual([]);
  });

  it('accepts ".stowage-meta" below the top level and the probe prefix', async () => {
    await driver.write('user/.stowage-meta', 'fine');
    await driver.write('.stowage-probe/x.txt', 'fine');
    expect((await listKeys(driver)).sort()).toEqual(['.stowage-probe/x.txt', 'user/.stowage-meta']);
  });
});
