/**
 * The rclone baseline: `rclone copy <results>/<dir> bench:<bucket>/<dir>` with
 * the same part size (`--s3-chunk-size`, and `--s3-upload-cutoff` so files
 * that fit in one part go as one PUT, as lib-storage does), the same parts in
 * flight per file (`--s3-upload-concurrency`) and the same files in flight
 * (`--transfers`), otherwise rclone's defaults (it MD5-hashes, HEADs and
 * compares every upload). The remote is configured only through
 * RCLONE_CONFIG_BENCH_* variables and an empty config file, so no rclone
 * configuration of the machine can leak in.
 *
 * Peak RSS: GNU time (`/usr/bin/time -f '%M %U %S'`) reports the ru_maxrss
 * that wait4() returns for rclone, the kernel's high-water mark, and its user
 * and system CPU time. Without GNU time, the VmHWM line of /proc/<pid>/status
 * (the same high-water mark) is read every 10 ms until rclone exits, and the
 * CPU time is not known. The time is rclone's whole process, start-up
 * included (a Go binary starts in tens of milliseconds).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerTarget, UploadTuning } from '../case-spec.js';
import type { OffloadRunResult } from './run-spec.js';

const GNU_TIME = '/usr/bin/time';
const REMOTE = 'bench';

/** What one rclone run copies, and with which tuning. */
export interface RcloneRun {
  readonly binary: string;
  /** An empty file passed as `--config`. */
  readonly configFile: string;
  /** Where GNU time writes its figure; removed after reading. */
  readonly scratchDir: string;
  readonly target: ServerTarget;
  readonly resultsRoot: string;
  readonly dir: string;
  readonly files: number;
  readonly concurrency: number;
  readonly tuning: UploadTuning;
}

/** How the peak RSS of rclone is measured on this machine. */
export function rcloneRssMethod(): string {
  return existsSync(GNU_TIME)
    ? 'GNU time %M (ru_maxrss from wait4), CPU time from its %U %S'
    : '/proc/<pid>/status VmHWM, read every 10 ms';
}

/** The environment for rclone: the parent's minus any RCLONE_* setting, plus the bench remote. */
function rcloneEnv(target: ServerTarget): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RCLONE_')));
  const prefix = `RCLONE_CONFIG_${REMOTE.toUpperCase()}_`;
  return {
    ...env,
    [`${prefix}TYPE`]: 's3',
    [`${prefix}PROVIDER`]: 'Minio',
    [`${prefix}ENV_AUTH`]: 'false',
    [`${prefix}ENDPOINT`]: target.endpoint,
    [`${prefix}REGION`]: target.region,
    [`${prefix}ACCESS_KEY_ID`]: target.accessKeyId,
    [`${prefix}SECRET_ACCESS_KEY`]: target.secretAccessKey,
  };
}

/** The rclone command line for `run`; sizes in KiB with rclone's own suffix. */
function rcloneArgs(run: RcloneRun): string[] {
  const part = `${run.tuning.partSize / 1024}Ki`;
  return [
    'copy',
    join(run.resultsRoot, run.dir),
    `${REMOTE}:${run.target.bucket}/${run.dir}`,
    '--config',
    run.configFile,
    '--transfers',
    String(run.concurrency),
    '--s3-chunk-size',
    part,
    '--s3-upload-cutoff',
    part,
    '--s3-upload-concurrency',
    String(run.tuning.queueSize),
  ];
}

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  readonly elapsedMs: number;
  readonly vmHwmBytes: number | undefined;
}

/** Reads VmHWM (the RSS high-water mark) of `pid`; undefined once the process is gone. */
async function vmHwm(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function runProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv, poll: boolean): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak: number | undefined;
    const timer = poll
      ? setInterval(() => {
          if (child.pid === undefined) return;
          void vmHwm(child.pid).then((value) => {
            if (value !== undefined) peak = Math.max(peak ?? 0, value);
          });
        }, 10)
      : undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code) => {
      const elapsedMs = performance.now() - started;
      clearInterval(timer);
      resolve({ code, stderr, elapsedMs, vmHwmBytes: peak });
    });
  });
}

/** Runs rclone once for `run` and reports its time and peak RSS; rejects when rclone fails. */
export async function runRclone(run: RcloneRun): Promise<OffloadRunResult> {
  const env = rcloneEnv(run.target);
  const args = rcloneArgs(run);
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(run.scratchDir, `rclone-time-${process.pid}-${Date.now()}.txt`);
  const exit = useTime
    ? await runProcess(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, run.binary, ...args], env, false)
    : await runProcess(run.binary, args, env, true);
  let maxRssBytes = exit.vmHwmBytes;
  let cpuMs: number | undefined;
  if (useTime) {
    const report = await readFile(timeFile, 'utf8').catch(() => '');
    await rm(timeFile, { force: true });
    // GNU time writes "Command exited with non-zero status N" before the figures when the command failed.
    const figures = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(report.trim().split('\n').pop() ?? '');
    if (figures) {
      maxRssBytes = Number(figures[1]) * 1024;
      cpuMs = (Number(figures[2]) + Number(figures[3])) * 1000;
    }
  }
  if (exit.code !== 0) {
    const output = exit.stderr.split(run.target.secretAccessKey).join('<redacted>').trim();
    throw new Error(`rclone exited with code ${exit.code}: ${output.slice(-2000) || '(no output)'}`);
  }
  if (maxRssBytes === undefined) throw new Error('rclone: no peak RSS could be read');
  return {
    elapsedMs: exit.elapsedMs,
    files: run.files,
    rssBeforeBytes: undefined,
    maxRssBytes,
    cpuMs,
    problems: [],
  };
}
