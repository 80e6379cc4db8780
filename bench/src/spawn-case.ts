/**
 * Runs one measured run in a fresh Node process. A fresh process per run is
 * what makes the memory figures honest: its max RSS (from the kernel) belongs
 * to that run alone, with no garbage or pooled buffers left over from the run
 * before.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchCase, CASE_ENV, type CaseResult, RESULT_MARKER, type ServerTarget } from './case-spec.js';

const CHILD_ENTRY = fileURLToPath(new URL('./case-child.js', import.meta.url));

/** How to start a child and what never to show from its output. */
export interface ChildLaunch {
  /** The script the child runs. */
  readonly entry: string;
  /** Environment variable that carries `payload` as JSON. */
  readonly envVar: string;
  /** Node flags before the script, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Names the run in errors. */
  readonly label: string;
  /** Strings cut from error output (secrets). */
  readonly redact: readonly string[];
}

/**
 * Starts `launch.entry` with `payload` in its environment and resolves with the
 * JSON it prints after RESULT_MARKER; rejects with its (redacted) error output
 * when it exits non-zero or prints no result.
 */
export function spawnNodeChild<T>(launch: ChildLaunch, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(launch.nodeArgs ?? []), launch.entry], {
      env: { ...process.env, [launch.envVar]: JSON.stringify(payload) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((text) => text.startsWith(RESULT_MARKER));
      if (code === 0 && line) {
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
        return;
      }
      let output = stderr.trim();
      for (const secret of launch.redact) output = output.split(secret).join('<redacted>');
      reject(new Error(`${launch.label} exited with code ${code}: ${output || '(no output)'}`));
    });
  });
}

/** Runs `spec` in a child process and returns its measurements; rejects with the child's error output. */
export function spawnCase(spec: BenchCase, target: ServerTarget): Promise<CaseResult> {
  return spawnNodeChild<CaseResult>(
    { entry: CHILD_ENTRY, envVar: CASE_ENV, label: `case ${spec.kind}/${spec.side}`, redact: [target.secretAccessKey] },
    { spec, target },
  );
}
