/**
 * `stowage migrate --from <provider|target…> --to <provider|target>`: moves
 * stored results through `storage.migrate()` (streamed, verified by size and
 * SHA-256, switched in one catalog commit, the source deleted only after and
 * only with --delete-source). Resumable: run the same command again after a
 * crash or Ctrl-C. `--dry-run` reports what would move.
 */
import type { MigrationReport } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatBytes, formatDuration } from '../format.js';
import { createProgress } from '../progress.js';
import { stopSignal } from '../signals.js';
import { knownProvider } from './providers.js';

/** The options of `migrate`, as commander parsed them. */
export interface MigrateCommandOptions {
  readonly from: readonly string[];
  readonly to: string;
  readonly prefix?: string;
  readonly deleteSource?: boolean;
  readonly concurrency?: string;
  readonly bytesPerSecond?: string;
  readonly dryRun?: boolean;
}

function positiveNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliError('USAGE', `migrate: ${option}: must be a positive number`);
  return value;
}

function reportLines(report: MigrationReport): string[] {
  const verb = report.state === 'dry-run' ? 'would move' : 'moved';
  return [
    `${report.state === 'dry-run' ? 'dry run: ' : ''}${verb} ${report.state === 'dry-run' ? report.results.total : report.results.done} of ${report.results.total} results (${formatBytes(report.state === 'dry-run' ? report.bytes.total : report.bytes.done)}) from ${report.from.join(', ') || '(nothing)'} to ${report.to}${report.state === 'cancelled' ? '; stopped: run the same command again to resume' : ''}`,
    ...(report.results.failed > 0
      ? [
          `${report.results.failed} failed (they stay where they were): ${Object.entries(report.failures)
            .map(([code, count]) => `${code} ${count}`)
            .join(', ')}`,
        ]
      : []),
    ...(report.state === 'dry-run' ? [] : [`took ${formatDuration(report.durationMs)}`]),
  ];
}

/** Runs `migrate`. */
export async function runMigrate(context: CommandContext, options: MigrateCommandOptions): Promise<ExitCodeValue> {
  const concurrency = positiveNumber('--concurrency', options.concurrency);
  const bytesPerSecond = positiveNumber('--bytes-per-second', options.bytesPerSecond);
  return context.withStorage(async ({ storage }) => {
    // A provider name the CLI does not know is refused with the names it knows, which the library cannot list.
    for (const name of [...options.from, options.to]) {
      if (!storage.registry.targets.isTarget(name)) await knownProvider(name);
    }
    const progress = createProgress(context.output, 'migrate');
    const listener = (p: import('@stowage/storage-core').MigrationProgress) =>
      progress.update({
        done: p.results.done,
        failed: p.results.failed,
        total: p.results.total,
        bytesDone: p.bytes.done,
        bytesTotal: p.bytes.total,
        bytesPerSecond: p.bytesPerSecond,
        etaMs: p.etaMs,
      });
    const stop = stopSignal(() =>
      context.output.note('stopping: finishing the results in flight (press again to quit at once)'),
    );
    storage.events.on('migrate:progress', listener);
    let report: MigrationReport;
    try {
      report = await storage.migrate({
        from: options.from,
        to: options.to,
        ...(options.prefix !== undefined ? { filter: { pathPrefix: options.prefix } } : {}),
        deleteSource: options.deleteSource === true,
        dryRun: options.dryRun === true,
        signal: stop.signal,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(bytesPerSecond !== undefined ? { bytesPerSecond } : {}),
      });
      // The bar ends on the report's own figures, whatever the last event said.
      if (report.state !== 'dry-run') listener(report);
    } finally {
      storage.events.off('migrate:progress', listener);
      stop.release();
      progress.stop();
    }
    const partial = report.state === 'cancelled' || report.results.failed > 0;
    context.output.result({ ok: !partial, ...report });
    context.output.lines(reportLines(report));
    if (!partial) return ExitCode.Ok;
    return report.results.done === 0 && report.state !== 'cancelled' ? ExitCode.Failure : ExitCode.Partial;
  });
}
