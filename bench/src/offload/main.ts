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
import { minioDriverDefinition } from '@stowage/driver-s3';
import {
  createTestBucket,
  MINIO_GO_MODULE,
  type MinioProcess,
  removeTestBucket,
  startMinioProcess,
} from '@stowage/testing';
import type { UploadTuning } from '../case-spec.js';
import { optionsOrUsage } from '../flags.js';
import { createRawClient } from '../raw-side.js';
import { loadAverage, machineFacts } from '../report.js';
import { median } from '../stats.js';
import { type Bench, timedRounds, type Workload } from './bench-run.js';
import { contenders } from './contenders.js';
import { attributionRounds, countRequests, profileRuns } from './extra-passes.js';
import { type LatencyProxy, startLatencyProxy } from './latency-proxy.js';
import { type OffloadOptions, parseOffloadOptions, usage } from './options.js';
import { rcloneRssMethod, runRclone } from './rclone-run.js';
import { writeResultFiles } from './result-files.js';
import { type OffloadFigures, offloadTable, type WorkloadNames } from './summary-table.js';

const MIB = 1024 * 1024;
const RCLONE_MODULE = 'github.com/rclone/rclone@v1.76.0';

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
  if (options.latencyMs > 0) {
    console.log(
      `latency: every answer held back ${options.latencyMs} ms by a toxiproxy latency toxic at ${bench.endpoint} (every contender sends through it)`,
    );
  }
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
        target: { ...bench.server.info, endpoint: bench.endpoint, bucket },
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
  } catch (error) {
    bench.failures.push(`rclone start-up: ${(error as Error).message}`);
    console.log('rclone start-up: FAILED (see below)');
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
  let latency: LatencyProxy | undefined;
  try {
    if (options.latencyMs > 0) latency = await startLatencyProxy(server.info, options.latencyMs);
    const bench: Bench = {
      options,
      server,
      endpoint: latency?.endpoint ?? server.info.endpoint,
      client,
      tuning: stowageTuning(server),
      workDir,
      resultsRoot: join(workDir, 'results'),
      rcloneBinary,
      rcloneConfig: join(workDir, 'rclone.conf'),
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
    const results = new Map<string, Map<string, OffloadFigures[]>>();
    await timedRounds(bench, workloads, list, results);

    const names: WorkloadNames = Object.fromEntries(
      workloads.map((workload) => [workload.role, { key: workload.dir, title: workload.title }]),
    );
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
    if (options.attribute) await attributionRounds(bench, workloads);
    return bench.failures;
  } finally {
    client.destroy();
    await latency?.stop();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Entry point of `pnpm bench offload`; `argv` is what follows the word `offload`. */
export async function offloadBench(argv: readonly string[]): Promise<void> {
  const options = optionsOrUsage('bench offload', argv, parseOffloadOptions, usage);
  if (!options) return;
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
