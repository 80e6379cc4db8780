/**
 * Runs one case in a fresh Node process. A fresh process per run is what makes
 * the memory figures honest: its max RSS (from the kernel) belongs to that run
 * alone, with no garbage or pooled buffers left over from the run before.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchCase, CASE_ENV, type CaseResult, RESULT_MARKER, type ServerTarget } from './case-spec.js';

const CHILD_ENTRY = fileURLToPath(new URL('./case-child.js', import.meta.url));

/** Runs `spec` in a child process and returns its measurements; rejects with the child's error output. */
export function spawnCase(spec: BenchCase, target: ServerTarget): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_ENTRY], {
      env: { ...process.env, [CASE_ENV]: JSON.stringify({ spec, target }) },
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
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as CaseResult);
        return;
      }
      const output = stderr.split(target.secretAccessKey).join('<redacted>').trim();
      reject(new Error(`case ${spec.kind}/${spec.side} exited with code ${code}: ${output || '(no output)'}`));
    });
  });
}
