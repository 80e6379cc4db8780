import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError, listKeys, readText } from '@stowage/storage-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';
import { treeOf } from './fs-helpers.js';

let sandbox: string;
let root: string;
let outside: string;
let driver: LocalDriver;

beforeEach(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'stowage-traversal-'));
  root = join(sandbox, 'root');
  outside = join(sandbox, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'outside the root');
  driver = new LocalDriver({ root });
});

afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

describe('no way out of the root', () => {
  it('refuses every operation through a folder symlink that points outside the root, touching nothing there', async () => {
    await symlink(outside, join(root, 'escape'));
    await driver.write('kept.txt', 'inside');

    await expectStorageError(driver.write('escape/new.txt', 'x'), ErrorCode.AccessDenied);
    await expectStorageError(driver.write('escape/deeper/new.txt', 'x'), ErrorCode.AccessDenied);
    await expectStorageError(driver.read('escape/secret.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.stat('escape/secret.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.exists('escape/secret.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.delete('escape/secret.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.copy('escape/secret.txt', 'stolen.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.copy('kept.txt', 'escape/planted.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.move('escape/secret.txt', 'stolen.txt'), ErrorCode.AccessDenied);
    await expectStorageError(driver.move('kept.txt', 'escape/planted.txt'), ErrorCode.AccessDenied);
    await expectStorageError(listKeys(driver, 'escape/'), ErrorCode.AccessDenied);

    expect(await treeOf(outside)).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('outside the root');
    expect(await listKeys(driver)).toEqual(['kept.txt']);
    expect(await readText(driver, 'kept.txt')).toBe('inside');
  });

  it('refuses to read a file symlink that points outside the root', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    const error = await expectStorageError(driver.read('leak.txt'), ErrorCode.AccessDenied);
    expect(error.message).toBe('key "leak.txt" resolves outside the root directory through a symbolic link');
    await expectStorageError(driver.stat('leak.txt'), ErrorCode.AccessDenied);
  });

  it('never lists symbolic links, so a listing cannot wander outside', async () => {
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await driver.write('real.txt', 'real');
    expect(await listKeys(driver)).toEqual(['real.txt']);
  });

  it('serves a symlink that stays inside the root', async () => {
    await driver.write('originals/a.txt', 'original');
    await symlink(join(root, 'originals'), join(root, 'alias'));
    expect(await readText(driver, 'alias/a.txt')).toBe('original');
  });

  it('works when the root itself is reached through a symlink', async () => {
    const linkedRoot = join(sandbox, 'linked-root');
    await symlink(root, linkedRoot);
    const linked = new LocalDriver({ root: linkedRoot });
    await linked.write('via/link.txt', 'ok');
    expect(await readFile(join(root, 'via', 'link.txt'), 'utf8')).toBe('ok');
    expect(await listKeys(linked)).toEqual(['via/link.txt']);
  });

  it('refuses keys that climb out with ".." before touching the disk', async () => {
    await expectStorageError(driver.write('../outside/secret.txt', 'overwritten'), ErrorCode.InvalidKey);
    await expectStorageError(driver.write('a/../../outside/secret.txt', 'overwritten'), ErrorCode.InvalidKey);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('outside the root');
    expect(await treeOf(root)).toEqual([]);
  });
});
