import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPostgresBinaries, newestSystemBinDir, postgresTestServerFromEnv } from '../src/index.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-pg-lookup-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fake `<root>/<version>/bin` with (or without) initdb and postgres in it. */
async function install(version: string, complete = true): Promise<string> {
  const bin = join(root, version, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'initdb'), '');
  if (complete) await writeFile(join(bin, 'postgres'), '');
  return bin;
}

describe('finding Postgres binaries', () => {
  it('picks the newest major version by number, among folders that hold a server', async () => {
    await install('9.6');
    const fifteen = await install('15');
    await install('16', false); // client tools only
    await install('13');
    await mkdir(join(root, 'notes'));
    expect(newestSystemBinDir(root)).toBe(fifteen);
    expect(newestSystemBinDir(join(root, 'missing'))).toBeUndefined();
  });

  it('uses an explicit folder first, and says so when it holds no server', async () => {
    const bin = await install('15');
    expect(await findPostgresBinaries({ env: { STOWAGE_POSTGRES_BIN_DIR: bin } })).toEqual({
      binDir: bin,
      source: 'bin-dir',
    });
    const partial = await install('16', false);
    const error = await expectStorageError(
      findPostgresBinaries({ env: { STOWAGE_POSTGRES_BIN_DIR: partial } }),
      ErrorCode.Misconfigured,
    );
    expect(error.message).toContain('STOWAGE_POSTGRES_BIN_DIR');
  });

  it('takes the system’s when allowed, and refuses "system" when there is none, or a wrong choice', async () => {
    const bin = await install('15');
    expect(await findPostgresBinaries({ systemRoot: root, env: { PATH: '' } })).toEqual({
      binDir: bin,
      source: 'system',
    });
    const empty = join(root, 'empty');
    await expectStorageError(
      findPostgresBinaries({ systemRoot: empty, binaries: 'system', env: { PATH: '' } }),
      ErrorCode.Misconfigured,
    );
    await expectStorageError(
      findPostgresBinaries({ env: { STOWAGE_POSTGRES_BINARIES: 'docker' } }),
      ErrorCode.Misconfigured,
    );
  });
});

describe('STOWAGE_TEST_POSTGRES_URL', () => {
  it('points the helpers at an existing server, which stop() leaves alone', async () => {
    const server = postgresTestServerFromEnv({
      STOWAGE_TEST_POSTGRES_URL: 'postgresql://app:pw@db.internal:5432/test',
    });
    expect(server?.info).toEqual({
      url: 'postgresql://app:pw@db.internal:5432/test',
      source: 'env',
      version: undefined,
    });
    await expect(server?.stop()).resolves.toBeUndefined();
    expect(postgresTestServerFromEnv({})).toBeUndefined();
  });

  it('refuses a value that is not a postgres URL, without echoing it', () => {
    for (const value of ['mysql://u:hunter2@h/db', 'hunter2', 'postgres://']) {
      let message = '';
      try {
        postgresTestServerFromEnv({ STOWAGE_TEST_POSTGRES_URL: value });
      } catch (error) {
        expect((error as { code?: string }).code).toBe(ErrorCode.Misconfigured);
        message = (error as Error).message;
      }
      expect(message).toContain('STOWAGE_TEST_POSTGRES_URL');
      expect(message).not.toContain('hunter2');
    }
  });
});
