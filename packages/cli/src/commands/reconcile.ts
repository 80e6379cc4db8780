/**
 * `stowage reconcile [target]`: compares a target (default: the default
 * provider's current one) with the catalog through `storage.reconcile()` and
 * reports orphans, missing and mismatched objects, kept copies (a
 * migration's source copies) that are gone, unknown local files and objects
 * it could not check. `--fix` repairs what can be repaired (see the
 * core README); `--fix --dry-run` reports only. Exit 3 when they disagree.
 */
import type { ReconcileProgress, ReconcileReport } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatBytes, formatDuration, parseDuration } from '../format.js';
import { createStatusLine } from '../progress.js';
import { stopSignal } from '../signals.js';

/** The options of `reconcile`, as commander parsed them. */
export interface ReconcileCommandOptions {
  readonly fix?: boolean;
  readonly dryRun?: boolean;
  readonly grace?: string;
  readonly deep?: boolean;
  readonly checkMetadata?: boolean;
  readonly concurrency?: string;
}

/** How many things the report says disagree (unknown local files are information, not disagreement). */
function disagreements(report: ReconcileReport): number {
  return (
    report.orphans.count +
    report.missing.count +
    report.keptCopies.missing.count +
    report.mismatched.count +
    report.unchecked.count
  );
}

function reportLines(report: ReconcileReport, dryRunFix: boolean): string[] {
  const finding = (label: string, f: { count: number; bytes: number }) =>
    `  ${label}: ${f.count} (${formatBytes(f.bytes)})`;
  return [
    `reconcile ${report.target} (${report.backend})${report.fix ? ', fix' : dryRunFix ? ', dry run: nothing was changed' : ''}`,
    `  listed: ${report.listed.objects} objects (${formatBytes(report.listed.bytes)}); recorded: ${report.recorded.files} files (${formatBytes(report.recorded.bytes)})`,
    finding('orphans', report.orphans),
    finding('missing', report.missing),
    `${finding('kept copies missing', report.keptCopies.missing)} of ${report.keptCopies.recorded} kept`,
    `${finding('mismatched', report.mismatched)}${report.mismatched.count > 0 ? ` ${JSON.stringify(report.mismatched.byReason)}` : ''}`,
    finding('unknown local files', report.unknownLocalFiles),
    finding('unchecked', report.unchecked),
    ...(report.fixes ? [`  fixes: ${JSON.stringify(report.fixes)}`] : []),
    `  took ${formatDuration(report.durationMs)}${report.state === 'cancelled' ? ' (stopped before the end)' : ''}`,
  ];
}

/** Runs `reconcile`. */
export async function runReconcile(
  context: CommandContext,
  target: string | undefined,
  options: ReconcileCommandOptions,
): Promise<ExitCodeValue> {
  const graceMs = options.grace === undefined ? undefined : parseDuration(options.grace);
  if (graceMs === undefined && options.grace !== undefined) {
    throw new CliError('USAGE', 'reconcile: --grace: must be a duration such as 24h, 30m, 90s or milliseconds');
  }
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  return context.withStorage(async ({ storage }) => {
    const status = createStatusLine(context.output, 'reconcile');
    const listener = (p: ReconcileProgress) =>
      status.update(
        `${p.phase}: listed ${p.listed}, recorded ${p.recorded}, orphans ${p.orphans}, missing ${p.missing}, mismatched ${p.mismatched}`,
      );
    const stop = stopSignal(() => context.output.note('stopping the reconcile'));
    storage.events.on('reconcile:progress', listener);
    let report: ReconcileReport;
    const fix = options.fix === true && options.dryRun !== true;
    try {
      report = await storage.reconcile({
        target: target ?? storage.registry.defaultBackend,
        fix,
        signal: stop.signal,
        ...(graceMs !== undefined ? { graceMs } : {}),
        ...(options.deep ? { deep: true } : {}),
        ...(options.checkMetadata === false ? { checkMetadata: false } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
      });
    } finally {
      storage.events.off('reconcile:progress', listener);
      stop.release();
      status.stop();
    }
    const disagree = disagreements(report);
    context.output.result({
      ok: disagree === 0 && report.state === 'done',
      dryRun: options.dryRun === true,
      disagreements: disagree,
      ...report,
    });
    context.output.lines(reportLines(report, options.fix === true && !fix));
    return disagree === 0 && report.state === 'done' ? ExitCode.Ok : ExitCode.Partial;
  });
}
