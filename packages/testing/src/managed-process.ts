/**
 * Child processes for test servers that never outlive the test run: each one is
 * registered until it exits, and a process-wide guard kills every survivor (and
 * removes its temporary directories) when this Node process exits or is told to
 * stop by SIGINT/SIGTERM/SIGHUP. A SIGKILL of the parent cannot be caught: on
 * Linux the child is started through `setpriv --pdeathsig` (util-linux) when
 * available, so the kernel kills it when its parent dies, however that happens.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/** How a managed process ended. */
interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child with its recent output kept for error messages. */
export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last lines the process wrote to stdout and stderr, oldest first. */
  outputTail(): string;
  /** The stop signal (SIGTERM), then SIGKILL after `graceMs`; then removes the cleanup paths. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** A user to run a child as (root only): Postgres, for one, refuses to run as root. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface SpawnManagedOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Run the child as this user (through `setpriv`, so root only, Linux only). */
  readonly user?: RunAs;
  /** The signal `stop()` sends first. Default SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
  /** Directories removed after the process is stopped (also by the exit guard). */
  readonly cleanupPaths?: readonly string[];
  /** Secrets to blank out of captured output before it can reach an error message. */
  readonly redact?: readonly string[];
  /** Lines of output kept for diagnostics. */
  readonly tailLines?: number;
}

const live = new Set<{ child: ChildProcess; cleanupPaths: readonly string[] }>();
const tempPaths = new Set<string>();
let guardInstalled = false;

function killAllNow(): void {
  for (const path of tempPaths) rmSync(path, { recursive: true, force: true, maxRetries: 2 });
  tempPaths.clear();
  for (const entry of live) {
    try {
      entry.child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to clean up for this one.
    }
    for (const path of entry.cleanupPaths) rmSync(path, { recursive: true, force: true, maxRetries: 2 });
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // When nobody else handles the signal, our listener suppressed Node's default
  // exit: restore it and re-raise so the process still ends as the sender intended.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/**
 * Removes `path` if the process exits or is interrupted before the caller
 * cleans up; call the returned function once the caller has removed it.
 */
export function removeOnExit(path: string): () => void {
  installGuard();
  tempPaths.add(path);
  return () => {
    tempPaths.delete(path);
  };
}

let deathSignalWrapper: boolean | undefined;

/**
 * True when `setpriv --pdeathsig` can be used. The kernel delivers the signal
 * when the spawning thread exits, which for Node is the thread whose event
 * loop started the child (the main thread, or a worker thread).
 */
function canUseDeathSignal(): boolean {
  if (deathSignalWrapper === undefined) {
    deathSignalWrapper = false;
    if (process.platform === 'linux') {
      try {
        const help = execFileSync('setpriv', ['--help'], {
          encoding: 'utf8',
          timeout: 5_000,
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        deathSignalWrapper = help.includes('--pdeathsig');
      } catch {
        // No util-linux setpriv: the exit guard is all we have.
      }
    }
  }
  return deathSignalWrapper;
}

function redactor(secrets: readonly string[]): (text: string) => string {
  const nonEmpty = secrets.filter((s) => s.length > 0);
  return (text) => nonEmpty.reduce((acc, secret) => acc.split(secret).join('***'), text);
}

/**
 * `setpriv` arguments that switch to `user`: real and effective ids, no
 * supplementary groups (root's would otherwise stay).
 */
export function setprivUserArgs(user: RunAs): string[] {
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
}

/**
 * Starts `binary args` with piped output and registers it with the exit guard.
 * The child is unref'd so a forgotten `stop()` never keeps a test worker alive;
 * the exit guard still kills it then.
 */
export function spawnManaged(
  binary: string,
  args: readonly string[],
  options: SpawnManagedOptions = {},
): ManagedProcess {
  installGuard();
  // setpriv execs the binary in place, so the pid and signals are the server's own.
  const wrapper = [
    ...(canUseDeathSignal() ? ['--pdeathsig', 'KILL'] : []),
    ...(options.user ? setprivUserArgs(options.user) : []),
  ];
  const [command, commandArgs] =
    wrapper.length > 0 ? ['setpriv', [...wrapper, '--', binary, ...args]] : [binary, [...args]];
  const child = spawn(command, commandArgs, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanupPaths = options.cleanupPaths ?? [];
  const entry = { child, cleanupPaths };
  live.add(entry);

  const maxLines = options.tailLines ?? 40;
  const redact = redactor(options.redact ?? []);
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > maxLines) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exitInfo: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    // 'close' rather than 'exit': it waits for the output pipes to drain, so the
    // tail holds the last lines a crashing server wrote.
    child.once('close', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(entry);
      resolve(exitInfo);
    });
    // spawn failures (ENOENT, EACCES) emit 'error' without 'exit'.
    child.once('error', (error) => {
      lines.push(`spawn error: ${error.message}`);
      exitInfo ??= { code: null, signal: null };
      live.delete(entry);
      resolve(exitInfo);
    });
  });

  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5_000): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        // Hold the event loop open until the child is gone: an unref'd child lets
        // Node exit mid-stop and leaves the server running, orphaned.
        child.ref();
        child.kill(options.stopSignal ?? 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(resolve, graceMs, 'timeout');
        });
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
        clearTimeout(timer);
      }
      await Promise.all(cleanupPaths.map((path) => rm(path, { recursive: true, force: true, maxRetries: 3 })));
    })();
    return stopping;
  };

  return {
    pid: child.pid ?? -1,
    child,
    exited,
    hasExited: () => exitInfo !== undefined,
    outputTail: () => redact(lines.join('\n')),
    stop,
  };
}
