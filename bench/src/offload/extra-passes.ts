/**
 * Passes after the timed rounds, each optional: requests per file through a
 * counting proxy, CPU profiles of Stowage and the raw SDK cut to the timed
 * work, and the attribution rounds that add Stowage's steps to the raw
 * baseline one at a time to price each.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../report.js';
import { median, ratio } from '../stats.js';
import { type Bench, measured, runLine, timedRounds, type Workload } from './bench-run.js';
import { attributionContenders, RAW } from './contenders.js';
import { type CountingProxy, startCountingProxy } from './counting-proxy.js';
import { formatProfileSummary, summariseProfile } from './profile-summary.js';
import type { Contender } from './run-spec.js';
import { type OffloadFigures, offloadFigures } from './summary-table.js';

/** One untimed pass through the counting proxy: requests per file by S3 operation. */
export async function countRequests(
  bench: Bench,
  workloads: readonly Workload[],
  list: readonly Contender[],
): Promise<void> {
  console.log(
    '\nRequests per file (one untimed pass through a counting proxy; bucket set-up by the bench not counted)',
  );
  let proxy: CountingProxy | undefined;
  try {
    proxy = await startCountingProxy(bench.endpoint);
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

/** One profiled run of each Stowage variant and of the raw SDK per workload, cut to the timed work and summarised. */
export async function profileRuns(
  bench: Bench,
  workloads: readonly Workload[],
  list: readonly Contender[],
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-profiles-'));
  console.log(`\nCPU profiles (node --cpu-prof, one run each, cut to the timed work; files kept in ${dir})`);
  for (const workload of workloads) {
    for (const contender of list.filter((entry) => entry.kind === 'stowage' || entry.label === RAW)) {
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
 * Rounds of the raw baseline with offload's steps added one at a time, next
 * to Stowage itself, on the small-file and the big-file workload: each step's
 * cost in throughput and in CPU per file, the contender's and MinIO's (on a
 * two-core machine they compete, so both count).
 */
export async function attributionRounds(bench: Bench, workloads: readonly Workload[]): Promise<void> {
  console.log(
    `\nAttribution: the raw SDK plus each of offload's steps, ${bench.options.rounds} interleaved rounds (fresh process and bucket per run)`,
  );
  for (const workload of workloads.filter((entry) => entry.role === 'small' || entry.role === 'big')) {
    const list = attributionContenders(workload.role === 'small');
    const results = new Map<string, Map<string, OffloadFigures[]>>();
    await timedRounds(bench, [workload], list, results);
    const runs = results.get(workload.dir) ?? new Map<string, OffloadFigures[]>();
    const medianOf = (label: string, pick: (figures: OffloadFigures) => number | undefined): number => {
      const values = (runs.get(label) ?? []).flatMap((figures) => {
        const value = pick(figures);
        return value === undefined ? [] : [value];
      });
      return values.length === 0 ? Number.NaN : median(values);
    };
    const rate = (figures: OffloadFigures) =>
      workload.role === 'small' ? figures.filesPerSecond : figures.mbPerSecond;
    const client = (figures: OffloadFigures) => figures.clientCpuMsPerFile;
    const server = (figures: OffloadFigures) => figures.serverCpuMsPerFile;
    const fixed = (value: number, places: number) => (Number.isFinite(value) ? value.toFixed(places) : 'n/a');
    // Per-file figures of small files are fractions of a millisecond; a big file's are seconds.
    const digits = workload.role === 'small' ? 2 : 0;
    const delta = (value: number, base: number) =>
      Number.isFinite(value - base) ? `${value >= base ? '+' : ''}${(value - base).toFixed(digits)}` : 'n/a';
    const perFile = workload.role === 'small' ? 'ms/file' : 'ms';
    const rows: string[][] = [
      [
        '',
        workload.role === 'small' ? 'files/s' : 'MB/s',
        `vs ${RAW}`,
        `client CPU ${perFile}`,
        `+ vs ${RAW}`,
        `MinIO CPU ${perFile}`,
        `+ vs ${RAW}`,
      ],
    ];
    for (const { label } of list) {
      rows.push([
        label,
        fixed(medianOf(label, rate), 0),
        `${fixed(ratio(medianOf(label, rate), medianOf(RAW, rate)), 2)}x`,
        fixed(medianOf(label, client), digits),
        delta(medianOf(label, client), medianOf(RAW, client)),
        fixed(medianOf(label, server), digits),
        delta(medianOf(label, server), medianOf(RAW, server)),
      ]);
    }
    console.log(`\n  ${workload.title}, median of ${bench.options.rounds}:`);
    console.log(formatTable(rows));
  }
}
