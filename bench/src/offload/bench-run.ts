/**
 * One measured run of the offload benchmark and the rounds made of them: each
 * run in a fresh bucket, timed in its own process, then every object checked
 * through a plain SDK client before the bucket is removed.
 */
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, type MinioProcess, removeTestBucket } from '@stowage/testing';
import type { ServerTarget, UploadTuning } from '../case-spec.js';
import { spawnNodeChild } from '../spawn-case.js';
import { checkStored } from './check-stored.js';
import { roundOrder } from './contenders.js';
import type { OffloadOptions } from './options.js';
import { processCpuMs } from './process-cpu.js';
import { runRclone } from './rclone-run.js';
import type { ExpectedFiles } from './result-files.js';
import { type Contender, OFFLOAD_RUN_ENV, type OffloadRunResult, type OffloadRunSpec } from './run-spec.js';
import { type OffloadFigures, offloadFigures, type WorkloadNames } from './summary-table.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));

/** One set of files every contender uploads. */
export interface Workload {
  /** Directory under the results root, also the key prefix and the row key. */
  readonly dir: string;
  readonly title: string;
  readonly role: keyof WorkloadNames;
  readonly files: ExpectedFiles;
  readonly bytes: number;
  /** Files in flight. */
  readonly concurrency: number;
}

/** Everything the runs of one benchmark share. */
export interface Bench {
  readonly options: OffloadOptions;
  readonly server: MinioProcess;
  /** Where the runs send their requests: MinIO's endpoint, or the latency proxy in front of it (`--latency-ms`). */
  readonly endpoint: string;
  /** Checks what the runs stored, straight at MinIO. */
  readonly client: S3Client;
  readonly tuning: UploadTuning;
  readonly workDir: string;
  readonly resultsRoot: string;
  readonly rcloneBinary: string | undefined;
  readonly rcloneConfig: string;
  /** Correctness problems and failed runs; any one makes the exit code 1. */
  readonly failures: string[];
}

/** Options that change how one run is made, beyond the contender and the workload. */
export interface RunMode {
  /** Send every request through this endpoint instead of the bench's (the counting proxy). */
  readonly endpoint?: string;
  /** Node flags for the child (e.g. --cpu-prof); ignored for rclone. */
  readonly nodeArgs?: readonly string[];
}

/** One line per run, printed as it finishes. */
export function runLine(round: string, workload: Workload, label: string, figures: OffloadFigures): string {
  const rate =
    workload.files.size > 1
      ? `${figures.filesPerSecond.toFixed(0).padStart(6)} files/s`
      : `${figures.mbPerSecond.toFixed(0).padStart(6)} MB/s   `;
  const growth = figures.rssGrowthMib === undefined ? '' : ` (+${figures.rssGrowthMib.toFixed(0)})`;
  const cpu = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms * workload.files.size).toFixed(0)} ms`);
  return (
    `  ${round.padEnd(8)} ${workload.dir.padEnd(18)} ${label.padEnd(10)} ${rate}  peak RSS ${figures.peakRssMib.toFixed(0).padStart(4)} MiB${growth.padEnd(7)}` +
    `  CPU client ${cpu(figures.clientCpuMsPerFile)}, MinIO ${cpu(figures.serverCpuMsPerFile)}`
  );
}

/** Runs `contender` on `workload` once in `bucket`. */
function runOnce(
  bench: Bench,
  contender: Contender,
  workload: Workload,
  target: ServerTarget,
  mode: RunMode,
): Promise<OffloadRunResult> {
  if (contender.kind === 'rclone') {
    if (!bench.rcloneBinary) throw new Error('rclone: STOWAGE_RCLONE_BIN is not set');
    return runRclone({
      binary: bench.rcloneBinary,
      configFile: bench.rcloneConfig,
      scratchDir: bench.workDir,
      target,
      resultsRoot: bench.resultsRoot,
      dir: workload.dir,
      files: workload.files.size,
      concurrency: workload.concurrency,
      tuning: bench.tuning,
    });
  }
  const spec: OffloadRunSpec = {
    contender,
    target,
    resultsRoot: bench.resultsRoot,
    dir: workload.dir,
    concurrency: workload.concurrency,
    tuning: bench.tuning,
  };
  return spawnNodeChild<OffloadRunResult>(
    {
      entry: CHILD_ENTRY,
      envVar: OFFLOAD_RUN_ENV,
      nodeArgs: mode.nodeArgs,
      label: `${contender.label} ${workload.dir}`,
      redact: [target.secretAccessKey],
    },
    spec,
  );
}

/** A run that succeeded and checked out, with MinIO's CPU time during it. */
export interface Measured {
  readonly result: OffloadRunResult;
  readonly serverCpuMs: number | undefined;
}

/**
 * One run in a fresh bucket: upload, then check every object through the
 * plain client, then remove the bucket. Failures are recorded, not thrown.
 * Resolves with the run's figures, or undefined when it failed.
 */
export async function measured(
  bench: Bench,
  round: string,
  contender: Contender,
  workload: Workload,
  mode: RunMode = {},
): Promise<Measured | undefined> {
  const { info } = bench.server;
  const bucket = await createTestBucket(info, 'offload');
  const what = `${round} ${workload.dir} ${contender.label}`;
  try {
    const target: ServerTarget = { ...info, endpoint: mode.endpoint ?? bench.endpoint, bucket };
    let result: OffloadRunResult;
    let serverCpuMs: number | undefined;
    try {
      const serverBefore = await processCpuMs(bench.server.pid);
      result = await runOnce(bench, contender, workload, target, mode);
      const serverAfter = await processCpuMs(bench.server.pid);
      if (serverBefore !== undefined && serverAfter !== undefined) serverCpuMs = serverAfter - serverBefore;
    } catch (error) {
      bench.failures.push(`${what}: ${(error as Error).message}`);
      console.log(`  ${round.padEnd(8)} ${workload.dir.padEnd(18)} ${contender.label.padEnd(10)} FAILED (see below)`);
      return undefined;
    }
    const problems = [
      ...result.problems,
      ...(await checkStored(bench.client, bucket, workload.dir, workload.files).catch((error: Error) => [
        `check failed: ${error.message}`,
      ])),
    ];
    for (const problem of problems) bench.failures.push(`${what}: ${problem}`);
    return problems.length === 0 ? { result, serverCpuMs } : undefined;
  } finally {
    await removeTestBucket(info, bucket).catch((error: Error) => {
      console.log(`  (could not remove bucket ${bucket}: ${error.message})`);
    });
  }
}

/**
 * Runs every contender of `list` on every workload once per round, rotating
 * the order each round, and records the figures of each run that checked out
 * in `results` (workload, then contender label).
 */
export async function timedRounds(
  bench: Bench,
  workloads: readonly Workload[],
  list: readonly Contender[],
  results: Map<string, Map<string, OffloadFigures[]>>,
): Promise<void> {
  for (let round = 1; round <= bench.options.rounds; round++) {
    for (const workload of workloads) {
      for (const contender of roundOrder(list, round)) {
        const run = await measured(bench, `round ${round}`, contender, workload);
        if (!run) continue;
        const figures = offloadFigures(run.result, workload.bytes, run.serverCpuMs);
        const byLabel = results.get(workload.dir) ?? new Map<string, OffloadFigures[]>();
        byLabel.set(contender.label, [...(byLabel.get(contender.label) ?? []), figures]);
        results.set(workload.dir, byLabel);
        console.log(runLine(`round ${round}`, workload, contender.label, figures));
      }
    }
  }
}
