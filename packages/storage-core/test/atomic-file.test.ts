import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFile, syncDirectory, writeTempFile } from '../src/index.js';

describe('atomic file writes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the folder and the file with the given mode, then replaces it whole', async () => {
    const file = join(dir, 'nested', 'settings.json');
    await replaceFile(file, 'first', { prefix: '.settings.json.', mode: 0o600 });
    expect(await readFile(file, 'utf8')).toBe('first');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await replaceFile(file, 'second', { prefix: '.settings.json.', mode: 0o600 });
    expect(await readFile(file, 'utf8')).toBe('second');
    expect(await readdir(join(dir, 'nested'))).toEqual(['settings.json']);
  });

  it('leaves one complete version and no temp file when writers race', async () => {
    const file = join(dir, 'race.txt');
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(1000));
    await Promise.all(versions.map((text) => replaceFile(file, text, { prefix: '.race.', mode: 0o644 })));
    expect(versions).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['race.txt']);
  });

  it('removes its temp file when the rename fails, and reports the error', async () => {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(replaceFile(target, 'x', { prefix: '.t.', mode: 0o644 })).rejects.toMatchObject({
      code: expect.stringMatching(/^E/),
    });
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('stages a temp file with the prefix, and syncs a folder', async () => {
    const staged = await writeTempFile(dir, 'bytes', { prefix: '.stowage-tmp-', mode: 0o644 });
    expect(staged.startsWith(join(dir, '.stowage-tmp-'))).toBe(true);
    expect(await readFile(staged, 'utf8')).toBe('bytes');
    await expect(syncDirectory(dir)).resolves.toBeUndefined();
  });
});
