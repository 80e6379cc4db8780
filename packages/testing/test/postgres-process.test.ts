/**
 * startPostgres() itself: the npm-fetched binaries work (the path a machine
 * without a system Postgres takes), the server runs on loopback and never as
 * root, stop() removes everything, and a test process killed with SIGKILL
 * takes its server with it.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startPostgres } from '../src/index.js';
import { gone, parentWithServer, running } from './support/server-parent.js';

// Start a server even when STOWAGE_TEST_POSTGRES_URL points at one.
const env = { ...process.env, STOWAGE_TEST_POSTGRES_URL: '' };

/** The user id a process runs as, from /proc. */
function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('startPostgres', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('runs the binaries fetched from npm, on loopback, not as root, and stop() removes its data', async () => {
    const server = await startPostgres({ env, binaries: 'npm' });
    const { pid, dataDir } = server as { pid: number; dataDir: string };
    try {
      expect(server.info).toMatchObject({ source: 'npm', version: expect.stringMatching(/^18\./) });
      expect(uidOf(pid)).not.toBe(0);
      if (process.getuid?.() !== 0) expect(uidOf(pid)).toBe(process.getuid?.());
      const client = new pg.Client({ connectionString: server.info.url });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT current_setting('listen_addresses') AS listen, version() AS v");
        expect(rows[0]).toMatchObject({ listen: '127.0.0.1', v: expect.stringContaining('PostgreSQL 18') });
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
    expect(running(pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    const late = new pg.Client({ connectionString: server.info.url, connectionTimeoutMillis: 2_000 });
    await expect(late.connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses settings it manages itself or cannot pass on, naming each, before starting anything', async () => {
    const error = await expectStorageError(
      startPostgres({ env, settings: { port: '5432', 'no such name!': 'x', max_connections: '50' } }),
      ErrorCode.InvalidInput,
    );
    expect(error.message).toMatch(/port is set by startPostgres/);
    expect(error.message).toMatch(/"no such name!" is not a Postgres setting name/);
  });

  it('is killed with the test process that started it, even by SIGKILL', async () => {
    const { parent, pid, dataDir } = await parentWithServer('helpers.startPostgres()', env);
    // SIGKILL runs no cleanup in the parent: the folder is ours to remove, and the server if this fails.
    cleanup.push(() => {
      if (running(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dirname(dataDir), { recursive: true, force: true });
    });
    expect(running(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await gone(pid, 5_000)).toBe(true);
  });
});
