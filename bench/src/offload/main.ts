/**
 * The offload benchmark (`pnpm bench offload`): the same files offloaded by
 * Stowage (`storage.offloadMany` through the registry to the `minio` preset),
 * uploaded by the raw SDK (one lib-storage Upload per file) and copied by
 * rclone, against one local MinIO process. Every run is a fresh process with
 * its own bucket; contenders rotate within each round; figures are medians over
 * the rounds with the min-max. Every run's objects are checked through a plain
 * SDK client before its bucket is removed. Exits 1 when a run failed or a
 * check did not hold, 2 on bad options.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { minioDriverDefinition } from '@stowage/driver-s3';
import {
  createTestBucket,
  MINIO_GO_MODULE,
  type MinioProcess,
  removeTestBucket,
  startMinioProcess,
} from '@stowage/driver-s3/testing';
import type { ServerTarget, UploadTuning } from '../case-spec.js';
import { UsageError } from '../flags.js';
import { createRawClient } from '../raw-side.js';
import { formatTable, loadAverage, machineFacts } from '../report.js';
import { spawnNodeChild } from '../spawn-case.js';
import { median } from '../stats.js';
import { checkStored } from './check-stored.js';
import { contenders, RAW, roundOrder, STOWAGE } from './contenders.js';
import { type CountingProxy, startCountingProxy } from './counting-proxy.js';
import { type OffloadOptions, parseOffloadOptions, usage } from './options.js';
import { processCpuMs } from './process-cpu.js';
import { formatProfileSummary, summariseProfile } from './profile-summary.js';
import { rcloneRssMethod, runRclone } from './rclone-run.js';
import { type ExpectedFiles, writeResultFiles } from './result-files.js';
import { type Contender, OFFLOAD_RUN_ENV, type OffloadRunResult, type OffloadRunSpec } from './run-spec.js';
import {
  type OffloadFigures,
  offloadFigures,
  offloadTable,
  type Results,
  type WorkloadNames,
} from './summary-table.js';

const MIB = 1024 * 1024;
const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
const RCLONE_MODULE = 'github.com/rclone/rclone@v1.76.0';

/** One set of files every contender uploads. */
interface Workload {
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
interface Bench {
  readonly options: OffloadOptions;
  readonly server: MinioProcess;
  readonly client: S3Client;
  readonly tuning: UploadTuning;
  readonly workDir: string;
  readonly resultsRoot: string;
  readonly rcloneBinary: string | undefined;
  readonly rcloneConfig: string;
  readonly results: Map<string, Map<string, OffloadFigures[]>>;
  readonly failures: string[];
}

/** Options that change how one run is made, beyond the contender and the workload. */
interface RunMode {
  /** Send every request through this endpoint instead of MinIO's (the counting proxy). */
  readonly endpoint?: string;
  /** Node flags for the child (e.g. --cpu-prof); ignored for rclone. */
  readonly nodeArgs?: readonly string[];
}

/** Stowage's own defaults for the minio provider: part size and parts in flight every contender uses. */
function stowageTuning(server: MinioProcess): UploadTuning {
  const settings = minioDriverDefinition.schema.parse({
    endpoint: server.info.endpoint,
    bucket: 'defaults-only',
    accessKeyId: 'defaults-only',
    secretAccessKey: 'defaults-only',
  });
  return { partSize: settings.partSize, queueSize: settings.queueSize };
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function printHeader(bench: Bench): void {
  const { options, tuning } = bench;
  console.log('Stowage bench: offload vs the raw AWS SDK and rclone, measured in the same run against the same server');
  for (const line of machineFacts()) console.log(line);
  const minioBinary = process.env.STOWAGE_MINIO_BIN ?? 'minio';
  console.log(
    `server: local MinIO process at ${bench.server.info.endpoint}, built from ${MINIO_GO_MODULE} (${firstLine(minioBinary, ['--version'])})`,
  );
  if (bench.rcloneBinary) {
    console.log(
      `rclone: ${firstLine(bench.rcloneBinary, ['version'])}, built from ${RCLONE_MODULE}; peak RSS by ${rcloneRssMethod()}`,
    );
  }
  console.log(
    `tuning (Stowage's minio defaults, used by every contender): parts ${tuning.partSize / MIB} MiB x ${tuning.queueSize} in flight per file; ${options.concurrency} files in flight`,
  );
  console.log(
    `stowage: createStorage() + JsonFileSettingsStore + createLocalDriver, the minio provider saved with endpoint, region, bucket and keys only, enabled and made the default; offloadMany with concurrency = files in flight; settings otherwise default`,
  );
  console.log(`results disk: ${bench.resultsRoot} (a real directory, removed at the end)`);
  console.log(
    `rounds: ${options.rounds}; each round runs every workload once per contender, in an order rotated each round; every run is a fresh process with its own bucket`,
  );
  console.log(
    'figures: median (min-max); peak RSS = the kernel high-water mark of the run process; MB/s = 10^6 bytes/s; ratios: stowage / baseline (above 1: faster, or heavier for RSS)',
  );
}

function runLine(round: string, workload: Workload, label: string, figures: OffloadFigures): string {
  const rate =
    workload.files.size > 1
      ? `${figures.filesPerSecond.toFixed(0).padStart(6)} files/s`
      : `${figures.mbPerSecond.toFixed(0).padStart(6)} MB/s   `;
  const growth = figures.rssGrowthMib === undefined ? '' : ` (+${figures.rssGrowthMib.toFixed(0)})`;
  const cpu = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms * workload.files.size).toFixed(0)} ms`);
  return (
    `  ${round.padEnd(8)} ${workload.dir.padEnd(18)} ${label.padEnd(8)} ${rate}  peak RSS ${figures.peakRssMib.toFixed(0).padStart(4)} MiB${growth.padEnd(7)}` +
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
interface Measured {
  readonly result: OffloadRunResult;
  readonly serverCpuMs: number | undefined;
}

/**
 * One run in a fresh bucket: upload, then check every object through the
 * plain client, then remove the bucket. Failures are recorded, not thrown.
 * Resolves with the run's figures, or undefined when it failed.
 */
async function measured(
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
    const target: ServerTarget = { ...info, endpoint: mode.endpoint ?? info.endpoint, bucket };
    let result: OffloadRunResult;
    let serverCpuMs: number | undefined;
    try {
      const serverBefore = await processCpuMs(bench.server.pid);
      result = await runOnce(bench, contender, workload, target, mode);
      const serverAfter = await processCpuMs(bench.server.pid);
      if (serverBefore !== undefined && serverAfter !== undefined) serverCpuMs = serverAfter - serverBefore;
    } catch (error) {
      bench.failures.push(`${what}: ${(error as Error).message}`);
      console.log(`  ${round.padEnd(8)} ${workload.dir.padEnd(18)} ${contender.label.padEnd(8)} FAILED (see below)`);
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

async function timedRounds(bench: Bench, workloads: readonly Workload[], list: readonly Contender[]): Promise<void> {
  for (let round = 1; round <= bench.options.rounds; round++) {
    for (const workload of workloads) {
      for (const contender of roundOrder(list, round)) {
        const run = await measured(bench, `round ${round}`, contender, workload);
        if (!run) continue;
        const figures = offloadFigures(run.result, workload.bytes, run.serverCpuMs);
        const byLabel = bench.results.get(workload.dir) ?? new Map<string, OffloadFigures[]>();
        byLabel.set(contender.label, [...(byLabel.get(contender.label) ?? []), figures]);
        bench.results.set(workload.dir, byLabel);
        console.log(runLine(`round ${round}`, workload, contender.label, figures));
      }
    }
  }
}

/** One untimed pass through the counting proxy: requests per file by S3 operation. */
async function countRequests(bench: Bench, workloads: readonly Workload[], list: readonly Contender[]): Promise<void> {
  console.log(
    '\nRequests per file (one untimed pass through a counting proxy; bucket set-up by the bench not counted)',
  );
  let proxy: CountingProxy | undefined;
  try {
    proxy = await startCountingProxy(bench.server.info.endpoint);
    const rows: string[][] = [['workload', 'contender', 'requests/file', 'by operation (total)']];
    for (const workload of workloads) {
      for (const contender of list) {
        proxy.reset();
        const run = await measured(bench, 'count', contender, workload, { endpoint: proxy.endpoint });
        if (!run) continue;
        const counts = Object.entries(proxy.counts()).sort((a, b) => b[1] - a[1]);
        const total = counts.reduce((sum, [, count]) => sum + count, 0);
        rows.push([
          workload.dir,
          contender.label,
          (total / workload.files.size).toFixed(2),
          counts.map(([operation, count]) => `${operation} ${count}`).join(', '),
        ]);
      }
    }
    console.log(formatTable(rows));
  } finally {
    await proxy?.close();
  }
}

/** One profiled run of Stowage and of the raw SDK per workload, cut to the timed work and summarised. */
async function profileRuns(bench: Bench, workloads: readonly Workload[], list: readonly Contender[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-profiles-'));
  console.log(`\nCPU profiles (node --cpu-prof, one run each, cut to the timed work; files kept in ${dir})`);
  for (const workload of workloads) {
    for (const contender of list.filter((entry) => entry.label === STOWAGE || entry.label === RAW)) {
      const name = `${workload.dir}-${contender.label.replace(/\W+/g, '-')}.cpuprofile`;
      const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
      const run = await measured(bench, 'profile', contender, workload, { nodeArgs });
      if (!run) continue;
      const figures = offloadFigures(run.result, workload.bytes, run.serverCpuMs);
      const window = run.result.workWindowUs;
      // Saved next to the profile, so `pnpm bench profile <file>` cuts it to the same window later.
      if (window) await writeFile(join(dir, `${name}.window.json`), JSON.stringify(window));
      console.log(`\n${runLine('profile', workload, contender.label, figures)}   (${join(dir, name)})`);
      console.log(formatProfileSummary(await summariseProfile(join(dir, name), window)));
    }
  }
}

/**
 * rclone's fixed cost per run: a copy of an empty directory (process start,
 * config, bucket check, destination listing), median of three. rclone's timings
 * include it; the Node contenders' timings start after their set-up.
 */
async function rcloneStartUp(bench: Bench): Promise<void> {
  if (!bench.rcloneBinary) return;
  const dir = 'empty';
  await mkdir(join(bench.resultsRoot, dir), { recursive: true });
  const bucket = await createTestBucket(bench.server.info, 'offload');
  try {
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const result = await runRclone({
        binary: bench.rcloneBinary,
        configFile: bench.rcloneConfig,
        scratchDir: bench.workDir,
        target: { ...bench.server.info, bucket },
        resultsRoot: bench.resultsRoot,
        dir,
        files: 0,
        concurrency: bench.options.concurrency,
        tuning: bench.tuning,
      });
      times.push(result.elapsedMs);
    }
    console.log(
      `rclone start-up (copy of an empty directory, counted in every rclone run): ${median(times).toFixed(0)} ms median of 3`,
    );
  } finally {
    await removeTestBucket(bench.server.info, bucket).catch(() => undefined);
    await rm(join(bench.resultsRoot, dir), { recursive: true, force: true });
  }
}

async function prepareWorkloads(options: OffloadOptions, resultsRoot: string): Promise<Workload[]> {
  const workloads: Workload[] = [];
  const add = async (role: Workload['role'], dir: string, title: string, count: number, size: number) => {
    const files = await writeResultFiles(resultsRoot, dir, count, size);
    const concurrency = count > 1 ? options.concurrency : 1;
    workloads.push({ dir, title, role, files, bytes: count * size, concurrency });
  };
  const { smallCount, smallBytes, bigBytes, rssLowBytes, rssHighBytes, concurrency } = options;
  if (smallCount > 0) {
    const kib = smallBytes / 1024;
    await add(
      'small',
      `small-${smallCount}x${kib}k`,
      `${smallCount} x ${kib} KiB, ${concurrency} at a time`,
      smallCount,
      smallBytes,
    );
  }
  if (bigBytes > 0) await add('big', `big-${bigBytes / MIB}m`, `1 x ${bigBytes / MIB} MiB`, 1, bigBytes);
  if (rssHighBytes > 0) {
    await add('rssLow', `rss-${rssLowBytes / MIB}m`, `1 x ${rssLowBytes / MIB} MiB`, 1, rssLowBytes);
    await add('rssHigh', `rss-${rssHighBytes / MIB}m`, `1 x ${rssHighBytes / MIB} MiB`, 1, rssHighBytes);
  }
  return workloads;
}

async function benchmark(options: OffloadOptions, rcloneBinary: string | undefined): Promise<string[]> {
  const server = await startMinioProcess();
  const workDir = await mkdtemp(join(tmpdir(), 'stowage-offload-bench-'));
  const client = createRawClient({ ...server.info, bucket: '' });
  try {
    const bench: Bench = {
      options,
      server,
      client,
      tuning: stowageTuning(server),
      workDir,
      resultsRoot: join(workDir, 'results'),
      rcloneBinary,
      rcloneConfig: join(workDir, 'rclone.conf'),
      results: new Map(),
      failures: [],
    };
    await writeFile(bench.rcloneConfig, '');
    printHeader(bench);
    const started = performance.now();
    const workloads = await prepareWorkloads(options, bench.resultsRoot);
    console.log(
      `files: ${workloads.map((w) => `${w.dir} (${w.files.size} x ${w.bytes / w.files.size / 1024} KiB)`).join(', ')}; written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await rcloneStartUp(bench);
    const list = contenders(options);
    console.log('');
    await timedRounds(bench, workloads, list);

    const names: WorkloadNames = Object.fromEntries(
      workloads.map((workload) => [workload.role, { key: workload.dir, title: workload.title }]),
    );
    const results: Results = bench.results;
    console.log(`\nOffload, median of ${options.rounds} (min-max):`);
    console.log(
      offloadTable(
        results,
        names,
        list.map((contender) => contender.label),
      ),
    );
    console.log(`\nload average (1/5/15 min) at end of the timed rounds: ${loadAverage()}`);

    if (options.countRequests) await countRequests(bench, workloads, list);
    if (options.profile) await profileRuns(bench, workloads, list);
    return bench.failures;
  } finally {
    client.destroy();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Entry point of `pnpm bench offload`; `argv` is what follows the word `offload`. */
export async function offloadBench(argv: readonly string[]): Promise<void> {
  let options: OffloadOptions | undefined;
  try {
    options = parseOffloadOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench offload: ${error.message}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  if (!options) {
    console.log(usage());
    return;
  }
  const rcloneBinary = options.rclone ? process.env.STOWAGE_RCLONE_BIN : undefined;
  if (options.rclone && !rcloneBinary) {
    console.error(
      'bench offload: STOWAGE_RCLONE_BIN is not set; run it as `pnpm bench offload` (builds rclone on first use) or pass --no-rclone',
    );
    process.exitCode = 2;
    return;
  }
  const failures = await benchmark(options, rcloneBinary);
  if (failures.length === 0) {
    console.log(
      '\ncorrectness: every object of every run listed with its size and read back with its SHA-256; no upload left open',
    );
    return;
  }
  console.log(`\nCORRECTNESS FAILED (${failures.length}):`);
  for (const failure of failures) console.log(`  - ${failure}`);
  process.exitCode = 1;
}
