/**
 * The offload benchmark's one table: per workload the median of each
 * contender's runs with the min-max, the ratios Stowage is judged by, and
 * whether each target of the offload issue is met in this run.
 */
import { formatTable } from '../report.js';
import { median, ratio } from '../stats.js';
import { RAW, RCLONE, STOWAGE, STOWAGE_NO_CATALOG } from './contenders.js';
import type { OffloadRunResult } from './run-spec.js';

const MIB = 1024 * 1024;

/** Figures derived from one run. */
export interface OffloadFigures {
  readonly filesPerSecond: number;
  /** Decimal megabytes (10^6 bytes) per second, as in the figures. */
  readonly mbPerSecond: number;
  readonly peakRssMib: number;
  /** Peak minus the RSS right before the work; undefined for rclone. */
  readonly rssGrowthMib: number | undefined;
  /** RSS right before the work; undefined for rclone. */
  readonly rssBeforeMib: number | undefined;
  /** The contender's CPU time (see OffloadRunResult.cpuMs) per file. */
  readonly clientCpuMsPerFile: number | undefined;
  /** MinIO's CPU time during the run, per file. */
  readonly serverCpuMsPerFile: number | undefined;
}

/** Figures from a run that moved `bytes` in `files` files. */
export function offloadFigures(
  result: OffloadRunResult,
  bytes: number,
  serverCpuMs: number | undefined,
): OffloadFigures {
  const seconds = result.elapsedMs / 1000;
  const perFile = (ms: number | undefined) => (ms === undefined ? undefined : ms / result.files);
  return {
    filesPerSecond: result.files / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    peakRssMib: result.maxRssBytes / MIB,
    rssGrowthMib: result.rssBeforeBytes === undefined ? undefined : (result.maxRssBytes - result.rssBeforeBytes) / MIB,
    rssBeforeMib: result.rssBeforeBytes === undefined ? undefined : result.rssBeforeBytes / MIB,
    clientCpuMsPerFile: perFile(result.cpuMs),
    serverCpuMsPerFile: perFile(serverCpuMs),
  };
}

/** Runs per workload, then per contender label. */
export type Results = ReadonlyMap<string, ReadonlyMap<string, readonly OffloadFigures[]>>;

/** The workloads of a run, by their key in Results, with what a table row calls them. */
export interface WorkloadNames {
  readonly small?: { readonly key: string; readonly title: string };
  readonly big?: { readonly key: string; readonly title: string };
  readonly rssLow?: { readonly key: string; readonly title: string };
  readonly rssHigh?: { readonly key: string; readonly title: string };
}

type Metric = Exclude<keyof OffloadFigures, 'rssGrowthMib'>;

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** The metric's values over the runs; a metric a contender does not report (undefined) gives none. */
function valuesOf(results: Results, workload: string, label: string, metric: Metric): number[] {
  const runs = results.get(workload)?.get(label) ?? [];
  return runs.flatMap((run) => (run[metric] === undefined ? [] : [run[metric]]));
}

function medianOf(results: Results, workload: string, label: string, metric: Metric): number {
  const values = valuesOf(results, workload, label, metric);
  return values.length === 0 ? Number.NaN : median(values);
}

function cell(results: Results, workload: string, label: string, metric: Metric): string {
  const runs = results.get(workload)?.get(label) ?? [];
  if (runs.length === 0) return 'failed';
  const values = valuesOf(results, workload, label, metric);
  if (values.length === 0) return 'n/a';
  const middle = format(median(values));
  return values.length === 1 ? middle : `${middle} (${format(Math.min(...values))}-${format(Math.max(...values))})`;
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return 'n/a';
  return met ? 'met' : 'NOT MET';
}

/**
 * The table for `labels` (contenders in column order): each row a workload
 * figure, the ratios stowage / raw SDK and stowage / rclone, and the target.
 */
export function offloadTable(results: Results, workloads: WorkloadNames, labels: readonly string[]): string {
  // Stowage variants beyond the default (the catalog off) are compared with the default: stowage / variant.
  const variants = labels.filter((label) => label !== STOWAGE && label !== RAW && label !== RCLONE);
  const header = [
    '',
    ...labels,
    `${STOWAGE} / ${RAW}`,
    `${STOWAGE} / ${RCLONE}`,
    ...variants.map((label) => `${STOWAGE} / ${label}`),
    'target (issue 12)',
  ];
  const rows: string[][] = [header];
  const ratios = (workload: string, metric: Metric): [number, number] => {
    const stowage = medianOf(results, workload, STOWAGE, metric);
    return [
      ratio(stowage, medianOf(results, workload, RAW, metric)),
      ratio(stowage, medianOf(results, workload, RCLONE, metric)),
    ];
  };
  const row = (
    title: string,
    workload: string,
    metric: Metric,
    target: (r: [number, number], stowage: number) => string,
  ) => {
    const r = ratios(workload, metric);
    rows.push([
      title,
      ...labels.map((label) => cell(results, workload, label, metric)),
      times(r[0]),
      times(r[1]),
      ...variants.map((label) =>
        times(ratio(medianOf(results, workload, STOWAGE, metric), medianOf(results, workload, label, metric))),
      ),
      target(r, medianOf(results, workload, STOWAGE, metric)),
    ]);
  };
  const known = (value: number) => (Number.isFinite(value) ? true : undefined);
  const { small, big, rssLow, rssHigh } = workloads;
  if (small) {
    row(`${small.title}: files/s`, small.key, 'filesPerSecond', ([raw, rclone], stowage) => {
      const met = known(raw) && known(rclone) ? raw >= 1 && rclone >= 1 : undefined;
      const speed = `>= 1.00x raw and rclone: ${verdict(met)}`;
      if (!labels.includes(STOWAGE_NO_CATALOG)) return speed;
      const off = ratio(stowage, medianOf(results, small.key, STOWAGE_NO_CATALOG, 'filesPerSecond'));
      return `${speed}; catalog on >= 0.95x off: ${verdict(known(off) && off >= 0.95)}`;
    });
    row('  peak RSS MiB', small.key, 'peakRssMib', () => '');
    row('  client CPU ms/file', small.key, 'clientCpuMsPerFile', () => '');
    row('  MinIO CPU ms/file', small.key, 'serverCpuMsPerFile', () => '');
  }
  if (big) {
    row(`${big.title}: MB/s`, big.key, 'mbPerSecond', ([raw]) => `>= 0.95x raw: ${verdict(known(raw) && raw >= 0.95)}`);
    row('  peak RSS MiB', big.key, 'peakRssMib', () => '');
    row('  client CPU ms (the file)', big.key, 'clientCpuMsPerFile', () => '');
    row('  MinIO CPU ms (the file)', big.key, 'serverCpuMsPerFile', () => '');
  }
  if (rssLow && rssHigh) {
    row(`${rssLow.title}: peak RSS MiB`, rssLow.key, 'peakRssMib', () => '');
    row(`${rssHigh.title}: peak RSS MiB`, rssHigh.key, 'peakRssMib', (_, stowage) => {
      return `<= 100 MiB: ${verdict(known(stowage) && stowage <= 100)}`;
    });
    row('  RSS before the work MiB', rssHigh.key, 'rssBeforeMib', () => '');
    const growth = labels.map((label) => {
      const low = medianOf(results, rssLow.key, label, 'peakRssMib');
      const high = medianOf(results, rssHigh.key, label, 'peakRssMib');
      return ratio(high, low) - 1;
    });
    const stowageGrowth = growth[labels.indexOf(STOWAGE)] ?? Number.NaN;
    rows.push([
      `  peak RSS growth ${rssLow.title.replace(/^1 x /, '')} -> ${rssHigh.title.replace(/^1 x /, '')}`,
      ...growth.map((value) =>
        Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)}%` : 'n/a',
      ),
      '',
      '',
      ...variants.map(() => ''),
      `within 10%: ${verdict(known(stowageGrowth) && Math.abs(stowageGrowth) <= 0.1)}`,
    ]);
    row(`${rssHigh.title}: MB/s`, rssHigh.key, 'mbPerSecond', () => '');
  }
  return formatTable(rows);
}
