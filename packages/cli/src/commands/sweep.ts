/**
 * `stowage sweep`: aborts incomplete multipart uploads (left by crashed or
 * killed uploads, billed until aborted) older than `--older-than` (default
 * 24 h), in one target or in every target of every configured provider.
 * `--dry-run` names the targets it would sweep and aborts nothing; it asks the
 * library's own dry run, so a target name the sweep refuses is refused by it
 * too (it said "would sweep (no target)" and exited 0 for a typo).
 */
import type { SweepReport } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { parseDuration } from '../format.js';
import { stopSignal } from '../signals.js';

const DEFAULT_OLDER_THAN_MS = 24 * 3_600_000;

/** Runs `sweep`. */
export async function runSweep(
  context: CommandContext,
  options: { readonly target?: string; readonly olderThan?: string; readonly dryRun?: boolean },
): Promise<ExitCodeValue> {
  const olderThanMs = options.olderThan === undefined ? undefined : parseDuration(options.olderThan);
  if (olderThanMs === undefined && options.olderThan !== undefined) {
    throw new CliError('USAGE', 'sweep: --older-than: must be a duration such as 24h, 30m, 90s or milliseconds');
  }
  const dryRun = options.dryRun === true;
  return context.withStorage(async ({ storage }) => {
    const stop = stopSignal();
    try {
      const report = await storage.sweep({
        signal: stop.signal,
        ...(options.target !== undefined ? { target: options.target } : {}),
        ...(olderThanMs !== undefined ? { olderThanMs } : {}),
        ...(dryRun ? { dryRun } : {}),
      });
      const broken = report.targets.filter((target) => target.error !== undefined);
      const ok = broken.length === 0 && report.failed === 0;
      if (dryRun) showDryRun(context, report, olderThanMs ?? DEFAULT_OLDER_THAN_MS);
      else showSwept(context, report, ok);
      if (ok) return ExitCode.Ok;
      return broken.length === report.targets.length && report.targets.length > 0 ? ExitCode.Failure : ExitCode.Partial;
    } finally {
      stop.release();
    }
  });
}

function showSwept(context: CommandContext, report: SweepReport, ok: boolean): void {
  context.output.result({ ok, ...report });
  context.output.lines([
    ...report.targets.map((target) => `  ${target.target}: ${outcome(target)}`),
    `swept ${report.targets.length} targets: ${report.aborted} incomplete uploads aborted, ${report.failed} failed`,
  ]);
}

// A target the sweep could not open is one it would not sweep either: named, as the sweep names it.
function showDryRun(context: CommandContext, report: SweepReport, olderThanMs: number): void {
  const targets = report.targets.filter((target) => target.error === undefined).map((target) => target.target);
  const notSwept = report.targets.flatMap(({ target, error }) => (error ? [{ target, error }] : []));
  context.output.result({
    ok: notSwept.length === 0,
    dryRun: true,
    targets,
    olderThanMs,
    ...(notSwept.length > 0 ? { notSwept } : {}),
  });
  context.output.lines([
    ...notSwept.map(({ target, error }) => `  ${target}: would not be swept (${error.code}: ${error.message})`),
    `dry run: would sweep incomplete uploads in ${targets.join(', ') || '(no target)'}; nothing was aborted`,
  ]);
}

function outcome(target: SweepReport['targets'][number]): string {
  if (target.error) return `not swept (${target.error.code}: ${target.error.message})`;
  return `${target.aborted} aborted${target.failed > 0 ? `, ${target.failed} failed` : ''}`;
}
