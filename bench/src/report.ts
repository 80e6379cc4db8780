/**
 * Formatting of the benchmark output: machine facts, per-run lines and the
 * summary tables with their ratios. Plain aligned text, so the output can be
 * pasted into a README as is.
 */
import { createRequire } from 'node:module';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import type { CaseResult } from './case-spec.js';
import { median, ratio } from './stats.js';

const MIB = 1024 * 1024;

/** Figures derived from one run. */
export interface RunFigures {
  readonly operations: number;
  readonly mibPerSecond: number;
  readonly opsPerSecond: number;
  readonly peakRssMib: number;
  readonly rssGrowthMib: number;
  readonly jsPeakMib: number;
}

/** Turns a raw case result into the figures the tables show. */
export function figures(result: CaseResult): RunFigures {
  const seconds = result.elapsedMs / 1000;
  return {
    operations: result.operations,
    mibPerSecond: result.bytes / MIB / seconds,
    opsPerSecond: result.operations / seconds,
    peakRssMib: result.maxRssBytes / MIB,
    rssGrowthMib: (result.maxRssBytes - result.rssBeforeBytes) / MIB,
    jsPeakMib: result.peakHeapDeltaBytes / MIB,
  };
}

/** Which figures a table shows, with their headers. */
export type Column = Exclude<keyof RunFigures, 'operations'>;

const HEADERS: Record<Column, string> = {
  mibPerSecond: 'MiB/s',
  opsPerSecond: 'objects/s',
  peakRssMib: 'peak RSS MiB',
  rssGrowthMib: 'RSS growth MiB',
  jsPeakMib: 'heap+ext peak MiB',
};

/** Aligns rows of cells into columns; the first column is left-aligned, the rest right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0)))
        .join('  '),
    )
    .map((line) => `  ${line.trimEnd()}`)
    .join('\n');
}

function number(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/**
 * A summary table: one row per label with the median of each column over its
 * runs (and the min-max range of the first column, to show the noise), then a
 * ratio row `label[1] / label[0]` (the second label is compared against the
 * baseline in the first).
 */
export function summaryTable(
  runs: ReadonlyMap<string, readonly RunFigures[]>,
  labels: readonly [baseline: string, compared: string],
  columns: readonly [Column, ...Column[]],
): string {
  const [lead] = columns;
  const rows: string[][] = [['', ...columns.map((column) => HEADERS[column]), `${HEADERS[lead]} min-max`]];
  const medians = labels.map((label) => {
    const list = runs.get(label) ?? [];
    return list.length === 0 ? undefined : columns.map((column) => median(list.map((run) => run[column])));
  });
  labels.forEach((label, index) => {
    const values = medians[index];
    const leads = (runs.get(label) ?? []).map((run) => run[lead]);
    const range = leads.length === 0 ? '' : `${number(Math.min(...leads))}-${number(Math.max(...leads))}`;
    rows.push([label, ...columns.map((_, column) => (values ? number(values[column] as number) : 'failed')), range]);
  });
  const [base, compared] = medians;
  rows.push([
    `${labels[1]} / ${labels[0]}`,
    ...columns.map((_, column) =>
      base && compared ? times(ratio(compared[column] as number, base[column] as number)) : 'n/a',
    ),
    '',
  ]);
  return formatTable(rows);
}

/** One line per run, printed as the run finishes; objects/s only where a run made many requests. */
export function runLine(round: number, label: string, run: RunFigures): string {
  const rate = run.operations > 1 ? ` ${number(run.opsPerSecond).padStart(6)} obj/s` : '';
  return (
    `  round ${round}  ${label.padEnd(15)} ${number(run.mibPerSecond).padStart(6)} MiB/s${rate}` +
    `  peak RSS ${number(run.peakRssMib).padStart(4)} MiB (+${number(run.rssGrowthMib)})  heap+ext +${number(run.jsPeakMib)} MiB`
  );
}

/** The 1, 5 and 15 minute load averages: how busy the shared machine was. */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Facts about this machine and the software measured, for the top of the output. */
export function machineFacts(): string[] {
  const cpuList = cpus();
  return [
    `machine: ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 / MIB).toFixed(1)} GiB RAM, ${platform()} ${arch()}`,
    `load average (1/5/15 min) at start: ${loadAverage()}`,
    `node: ${process.version}; @aws-sdk/client-s3 ${packageVersion('@aws-sdk/client-s3')}, @aws-sdk/lib-storage ${packageVersion('@aws-sdk/lib-storage')}`,
  ];
}
