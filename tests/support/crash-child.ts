/**
 * The child processes crash tests start and SIGKILL: a script under
 * tests/fixtures that prints `ready` once its storage is open, works, and
 * prints what it did. Their output is kept, so a child that fails on its own
 * says why in the test's failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** A started child: `ready` settles once it printed "ready" (or exited before). */
export interface StartedChild {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Its exit code or signal, a newline, then everything it printed (standard output, then standard error). */
  readonly exited: Promise<string>;
}

/** Starts `script` with `config` (JSON) as its one argument, in this Node.js. */
export function startChild(script: string, config: string): StartedChild {
  const child = spawn(process.execPath, [script, config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      markReady();
      resolve(`${signal ?? code}\n${stdout}${stderr}`);
    });
  });
  return { child, ready, exited };
}

/**
 * Runs `script` until it is gone, killed with SIGKILL `kill.afterMs` after it is ready or as soon as
 * `kill.when()` holds (polled every 5 ms). A child that ends by itself must succeed. Returns how long it ran
 * after it was ready, in milliseconds.
 */
export async function runChild(
  script: string,
  config: string,
  kill: { readonly afterMs?: number; readonly when?: () => boolean } = {},
): Promise<number> {
  const run = startChild(script, config);
  await run.ready;
  const started = performance.now();
  const timer = kill.afterMs === undefined ? undefined : setTimeout(() => run.child.kill('SIGKILL'), kill.afterMs);
  const { when } = kill;
  const poll = when ? setInterval(() => when() && run.child.kill('SIGKILL'), 5) : undefined;
  const exit = await run.exited;
  clearTimeout(timer);
  clearInterval(poll);
  const status = exit.slice(0, exit.indexOf('\n'));
  if (status !== '0' && status !== 'SIGKILL') throw new Error(`the child failed on its own (${status}):\n${exit}`);
  return performance.now() - started;
}
