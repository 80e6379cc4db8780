import { mkdtemp, rm } from 'node:fs/promises';
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
  root = await mkdtemp(join(tmpdir(), 'stowage-copy-move-'));
  driver = new LocalDriver({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('copy and move with only-if-absent', () => {
  it('copy refuses an existing destination with PRECONDITION_FAILED, leaving both objects as they were', async () => {
    await driver.write('src.txt', 'source', { metadata: { side: 'src' } });
    await driver.write('dst.txt', 'destination', { metadata: { side: 'dst' } });
    await expectStorageError(driver.copy('src.txt', 'dst.txt', { ifNotExists: true }), ErrorCode.PreconditionFailed);
    expect(await readText(driver, 'dst.txt')).toBe('destination');
    expect((await driver.stat('dst.txt')).metadata).toEqual({ side: 'dst' });
    expect((await treeOf(root)).filter((path) => path.includes('.stowage-tmp-'))).toEqual([]);
  });

  it('move refuses an existing destination with PRECONDITION_FAILED and keeps the source', async () => {
    await driver.write('from.txt', 'from');
    await driver.write('to.txt', 'to');
    await expectStorageError(driver.move('from.txt', 'to.txt', { ifNotExists: true }), ErrorCode.PreconditionFailed);
    expect(await readText(driver, 'from.txt')).toBe('from');
    expect(await readText(driver, 'to.txt')).toBe('to');
  });

  it('move with only-if-absent to a free key moves content and metadata', async () => {
    await driver.write('from.bin', 'payload', { contentType: 'image/avif', metadata: { a: '1' } });
    await driver.move('from.bin', 'new/home.bin', { ifNotExists: true });
    expect(await listKeys(driver)).toEqual(['new/home.bin']);
    expect(await driver.stat('new/home.bin')).toMatchObject({ contentType: 'image/avif', metadata: { a: '1' } });
  });

  it('copy and move onto the same key are no-ops, and refused with only-if-absent', async () => {
    await driver.write('same.txt', 'same', { metadata: { kept: 'yes' } });
    await driver.copy('same.txt', 'same.txt');
    await driver.move('same.txt', 'same.txt');
    expect(await readText(driver, 'same.txt')).toBe('same');
    expect((await driver.stat('same.txt')).metadata).toEqual({ kept: 'yes' });
    await expectStorageError(driver.copy('same.txt', 'same.txt', { ifNotExists: true }), ErrorCode.PreconditionFailed);
  });

  it('a copy is independent of its source afterwards', async () => {
    await driver.write('orig.txt', 'v1');
    await driver.copy('orig.txt', 'copy.txt');
    await driver.write('orig.txt', 'v2');
    expect(await readText(driver, 'copy.txt')).toBe('v1');
  });
});
