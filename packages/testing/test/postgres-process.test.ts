/**
 * startPostgres() itself: the npm-fetched binaries work (the path a machine
 * without a system Postgres takes), the server runs on loopback and never as
 * root, stop() removes everything, and a test process killed with SIGKILL
 * takes its server with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startPostgres } from '../src/index.js';

// Start a server even when STOWAGE_TEST_POSTGRES_URL points at one.
const env = { ...process.env, STOWAGE_TEST_POSTGRES_URL: '' };
const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The user id a process runs as, from /proc. */
function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Running and not a zombie (a killed orphan may linger as one until it is reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
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
    expect(existsSync(distEntry), `${distEntry} is missing: run pnpm build`).toBe(true);
    const script = `
      const { startPostgres } = await import(${JSON.stringify(distEntry)});
      const server = await startPostgres();
      console.log(JSON.stringify({ pid: server.pid, dataDir: server.dataDir }));
      setInterval(() => {}, 60_000);
    `;
    const parent: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let output = '';
      parent.stdout?.on('data', (chunk) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.split('\n')[0] as string);
      });
      parent.once('exit', (code) => reject(new Error(`the starting process exited with ${code}`)));
    });
    const { pid, dataDir } = JSON.parse(line) as { pid: number; dataDir: string };
    // SIGKILL runs no cleanup in the parent: the folder is ours to remove, and the server if this fails.
    cleanup.push(() => {
      if (running(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dirname(dataDir), { recursive: true, force: true });
    });
    expect(running(pid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (running(pid) && Date.now() < deadline) await sleep(50);
    expect(running(pid)).toBe(false);
  });
});
