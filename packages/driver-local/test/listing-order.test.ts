import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listKeys } from '@stowage/storage-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';

let root: string;
let driver: LocalDriver;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-order-'));
  driver = new LocalDriver({ root });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listing order', () => {
  it('lists keys in UTF-8 byte order, as S3 does, across folders', async () => {
    // "-" (0x2d) sorts before "/" (0x2f) and "0" (0x30): a folder is not simply listed where its name sorts.
    const keys = ['a/b.txt', 'a-c.txt', 'a0.txt', 'z.txt', 'é.txt', '😀.txt', '\uE000.txt', 'A.txt', 'a/b/c.txt'];
    for (const key of keys) await driver.write(key, key);
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(await listKeys(driver)).toEqual(expected);
  });
});
