/**
 * For tests that a dying test process takes its servers with it: a separate
 * Node process starts a server through the built helpers (dist/, so run
 * `pnpm build` first) and reports it; the test then kills that process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const distEntry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** What the parent process reported about the server it started. */
export interface StartedServer {
  readonly pid: number;
  readonly dataDir: string;
}

/**
 * Runs `start` (an expression over `helpers`, the built package, resolving to
 * something with `pid` and `dataDir`) in a new Node process that then idles.
 */
export async function parentWithServer(
  start: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StartedServer & { parent: ChildProcess }> {
  expect(existsSync(distEntry), `${distEntry} is missing: run pnpm build`).toBe(true);
  const script = `
    const helpers = await import(${JSON.stringify(distEntry)});
    const server = await ${start};
    console.log(JSON.stringify({ pid: server.pid, dataDir: server.dataDir }));
    setInterval(() => {}, 60_000);
  `;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  return { parent, ...(JSON.parse(line) as StartedServer) };
}

/** Running and not a zombie (a killed orphan may linger as one until init reaps it). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True once `pid` has stopped running, waiting at most `withinMs`. */
export async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await sleep(50);
  }
  return !running(pid);
}
