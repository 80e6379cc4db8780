/**
 * A test run that dies must not leave MinIO behind. These tests start MinIO from
 * a separate Node process (using the built dist/, so run `pnpm build` first),
 * kill that process, and check the server went with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Starts a Node process that starts MinIO through the helper and reports its pid and data dir. */
async function parentWithMinio(): Promise<{ parent: ChildProcess; pid: number; dataDir: string }> {
  expect(existsSync(distEntry), `${distEntry} is missing: run pnpm build`).toBe(true);
  const script = `
    const { startMinioProcess } = await import(${JSON.stringify(distEntry)});
    const minio = await startMinioProcess();
    console.log(JSON.stringify({ pid: minio.pid, dataDir: minio.dataDir }));
    setInterval(() => {}, 60_000);
  `;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  parent.stderr?.on('data', (chunk) => {
    errors += chunk;
  });
  const line = await new Promise<string>((resolve, reject) => {
    parent.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.split('\n')[0] as string);
    });
    parent.once('exit', (code) => reject(new Error(`helper process exited with ${code}: ${errors}`)));
  });
  return { parent, ...(JSON.parse(line) as { pid: number; dataDir: string }) };
}

/** Running and not a zombie (a killed orphan may linger as one until init reaps it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await sleep(50);
  }
  return !running(pid);
}

describe('MinIO started by a process that dies', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('is stopped and its data dir removed when the parent gets SIGTERM', async () => {
    const { parent, pid, dataDir } = await parentWithMinio();
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    expect(running(pid)).toBe(true);
    const exited = new Promise((resolve) => parent.once('exit', (_code, signal) => resolve(signal)));
    parent.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(await gone(pid, 5_000)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('is killed by the kernel when the parent gets SIGKILL', async () => {
    const { parent, pid, dataDir } = await parentWithMinio();
    // SIGKILL runs no cleanup code in the parent, so the data dir is ours to remove,
    // and so is the server if this test fails.
    cleanup.push(() => {
      if (running(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    parent.kill('SIGKILL');
    expect(await gone(pid, 5_000)).toBe(true);
  });
});
