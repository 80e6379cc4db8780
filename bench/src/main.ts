/**
 * The driver benchmark (`pnpm bench` or `pnpm bench driver`): the Stowage S3 driver against the raw AWS SDK, both measured
 * in the same run against one local MinIO process. Each run is a fresh child
 * process; sides alternate within a round and swap who goes first between
 * rounds, so drift on a shared machine hits both. Figures are medians over the
 * rounds; ratios are driver / raw. Exits 1 when any stored object is not what
 * was sent, 2 on bad options.
 */

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestBucket, type MinioProcess, removeTestBucket, startMinioProcess } from '@stowage/testing';
import type { BenchCase, ServerTarget, Side, UploadTuning } from './case-spec.js';
import { optionsOrUsage } from './flags.js';
import { generatedBytes, generatedSha256, writeGeneratedFile } from './generated-body.js';
import { type BenchOptions, parseOptions, usage } from './options.js';
import { createRawClient } from './raw-side.js';
import { figures, loadAverage, machineFacts, type RunFigures, runLine, summaryTable } from './report.js';
import { spawnCase } from './spawn-case.js';
import { Verifier } from './verify.js';

const MIB = 1024 * 1024;

/** Everything one benchmark run shares between its sections. */
interface Run {
  readonly options: BenchOptions;
  readonly target: ServerTarget;
  readonly tuning: UploadTuning;
  readonly verifier: Verifier;
  readonly filePath: string;
  readonly bigSha256: string;
  /** Figures per label, in run order. */
  readonly figures: Map<string, RunFigures[]>;
  /** Correctness problems; any one makes the exit code 1. */
  readonly failures: string[];
}

/** Raw first in odd rounds, driver first in even ones. */
function sideOrder(round: number): readonly Side[] {
  return round % 2 === 1 ? ['raw', 'driver'] : ['driver', 'raw'];
}

/** Runs one case, records its figures under `label`, then runs the correctness check. */
async function measure(
  run: Run,
  round: number,
  label: string,
  spec: BenchCase,
  check: () => Promise<string | undefined>,
): Promise<void> {
  try {
    const result = figures(await spawnCase(spec, run.target));
    const list = run.figures.get(label) ?? [];
    list.push(result);
    run.figures.set(label, list);
    console.log(runLine(round, label, result));
  } catch (error) {
    run.failures.push(`round ${round} ${label}: ${(error as Error).message}`);
    console.log(`  round ${round}  ${label.padEnd(15)} FAILED (see below)`);
    return;
  }
  const problem = await check().catch((error: Error) => `check failed: ${error.message}`);
  if (problem) run.failures.push(`round ${round} ${label}: ${problem}`);
}

async function uploadSection(run: Run): Promise<void> {
  const { options } = run;
  console.log(`\n1. Upload ${options.bigBytes / MIB} MiB: streamed (generated, unknown length) and from a file`);
  for (let round = 1; round <= options.rounds; round++) {
    for (const body of ['stream', 'file'] as const) {
      for (const side of sideOrder(round)) {
        const key = `upload/${side}-${body}.bin`;
        const spec: BenchCase = {
          kind: 'upload',
          side,
          body,
          key,
          bytes: options.bigBytes,
          filePath: run.filePath,
          tuning: run.tuning,
        };
        await measure(run, round, `${side} ${body}`, spec, () => run.verifier.size(key, options.bigBytes));
      }
    }
  }
  for (const side of ['raw', 'driver'] as const) {
    for (const body of ['stream', 'file'] as const) {
      const key = `upload/${side}-${body}.bin`;
      const problem = await run.verifier.sha256(key, run.bigSha256).catch((error: Error) => error.message);
      if (problem) run.failures.push(`read-back of ${key}: ${problem}`);
    }
  }
  const columns = ['mibPerSecond', 'peakRssMib', 'rssGrowthMib', 'jsPeakMib'] as const;
  console.log(`\n  streamed body, median of ${options.rounds}:`);
  console.log(summaryTable(run.figures, ['raw stream', 'driver stream'], columns));
  console.log(`\n  file body, median of ${options.rounds}:`);
  console.log(summaryTable(run.figures, ['raw file', 'driver file'], columns));
}

async function smallSection(run: Run): Promise<void> {
  const { options } = run;
  const kib = options.smallBytes / 1024;
  console.log(`\n2. Small objects: ${options.smallCount} x ${kib} KiB PUTs, ${options.concurrency} in flight`);
  const firstSha = createHash('sha256').update(generatedBytes(options.smallBytes, 0)).digest('hex');
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of sideOrder(round)) {
      const prefix = `small/r${round}-${side}/`;
      const spec: BenchCase = {
        kind: 'small',
        side,
        prefix,
        count: options.smallCount,
        bytes: options.smallBytes,
        concurrency: options.concurrency,
        tuning: run.tuning,
      };
      await measure(run, round, `${side} small`, spec, async () => {
        const listed = await run.verifier.listing(prefix, options.smallCount, options.smallBytes);
        return listed ?? run.verifier.sha256(`${prefix}0.bin`, firstSha);
      });
    }
  }
  console.log(`\n  median of ${options.rounds}:`);
  console.log(summaryTable(run.figures, ['raw small', 'driver small'], ['opsPerSecond', 'mibPerSecond', 'peakRssMib']));
}

async function readSection(run: Run): Promise<void> {
  const { options } = run;
  // Written by the raw SDK and verified by hash in section 1.
  const key = 'upload/raw-file.bin';
  console.log(`\n3. Read ${options.bigBytes / MIB} MiB: GetObject stream (raw) vs driver.read, consumed to the end`);
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of sideOrder(round)) {
      const spec: BenchCase = { kind: 'read', side, key, bytes: options.bigBytes, tuning: run.tuning };
      // The child checks the byte count of every read; the content was hash-checked in section 1.
      await measure(run, round, `${side} read`, spec, async () => undefined);
    }
  }
  console.log(`\n  median of ${options.rounds}:`);
  console.log(summaryTable(run.figures, ['raw read', 'driver read'], ['mibPerSecond', 'peakRssMib', 'rssGrowthMib']));
}

async function expectSection(run: Run): Promise<void> {
  const { options } = run;
  if (options.expectCount === 0) return;
  const mib = options.expectBytes / MIB;
  console.log(
    `\n4. Expect: 100-continue: ${options.expectCount} sequential ${mib} MiB PUTs through the driver, with the header (SDK default) and without (disableExpectContinue)`,
  );
  for (let round = 1; round <= options.rounds; round++) {
    for (const expectContinue of round % 2 === 1 ? [true, false] : [false, true]) {
      const label = expectContinue ? 'with expect' : 'without expect';
      const prefix = `expect/r${round}-${expectContinue ? 'with' : 'without'}/`;
      const spec: BenchCase = {
        kind: 'expect',
        side: 'driver',
        expectContinue,
        prefix,
        count: options.expectCount,
        bytes: options.expectBytes,
        tuning: run.tuning,
      };
      await measure(run, round, label, spec, () =>
        run.verifier.listing(prefix, options.expectCount, options.expectBytes),
      );
    }
  }
  console.log(`\n  median of ${options.rounds}:`);
  console.log(summaryTable(run.figures, ['with expect', 'without expect'], ['opsPerSecond', 'mibPerSecond']));
}

function printHeader(options: BenchOptions, server: MinioProcess): void {
  console.log('Stowage bench: S3 driver vs raw AWS SDK, measured in the same run against the same server');
  for (const line of machineFacts()) console.log(line);
  console.log(`server: local MinIO process at ${server.info.endpoint}; checksums WHEN_REQUIRED on both sides`);
  console.log(
    `sizes: big object ${options.bigBytes / MIB} MiB, parts ${options.partSize / MIB} MiB x ${options.queueSize} in flight; ` +
      `small ${options.smallCount} x ${options.smallBytes / 1024} KiB at concurrency ${options.concurrency}; ` +
      `expect ${options.expectCount} x ${options.expectBytes / MIB} MiB`,
  );
  console.log(
    `rounds: ${options.rounds}; each round runs both sides of every case once, alternating, and the first side swaps between rounds`,
  );
  console.log(
    'memory: every run is a fresh Node process; peak RSS = its kernel max RSS; RSS growth = peak minus RSS right before the timed work; heap+ext = sampled V8 heap + external (Buffers) growth',
  );
  console.log(
    'ratios: second row / first row (driver / raw; without / with): above 1 is faster for MiB/s and objects/s, heavier for memory',
  );
}

async function benchmark(options: BenchOptions): Promise<string[]> {
  const server = await startMinioProcess();
  const workDir = await mkdtemp(join(tmpdir(), 'stowage-bench-'));
  let bucket: string | undefined;
  const client = createRawClient({ ...server.info, bucket: '' });
  try {
    printHeader(options, server);
    bucket = await createTestBucket(server.info, 'bench');
    const target: ServerTarget = { ...server.info, bucket };
    const filePath = join(workDir, 'big.bin');
    await writeGeneratedFile(filePath, options.bigBytes);
    const run: Run = {
      options,
      target,
      tuning: { partSize: options.partSize, queueSize: options.queueSize },
      verifier: new Verifier(client, bucket),
      filePath,
      bigSha256: await generatedSha256(options.bigBytes),
      figures: new Map(),
      failures: [],
    };
    await uploadSection(run);
    await smallSection(run);
    await readSection(run);
    await expectSection(run);
    console.log(`\nload average (1/5/15 min) at end: ${loadAverage()}`);
    return run.failures;
  } finally {
    if (bucket) await removeTestBucket(server.info, bucket).catch(() => undefined);
    client.destroy();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Entry point of `pnpm bench driver`; `argv` is what follows the word `driver`. */
export async function driverBench(argv: readonly string[]): Promise<void> {
  const options = optionsOrUsage('bench', argv, parseOptions, usage);
  if (!options) return;
  const failures = await benchmark(options);
  if (failures.length === 0) {
    console.log('\ncorrectness: every object read back with the size and SHA-256 that was sent');
    return;
  }
  console.log(`\nCORRECTNESS FAILED (${failures.length}):`);
  for (const failure of failures) console.log(`  - ${failure}`);
  process.exitCode = 1;
}
