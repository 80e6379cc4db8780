/**
 * `stowage sweep`: aborts incomplete multipart uploads (left by crashed or
 * killed uploads, billed until aborted) older than `--older-than` (default
 * 24 h), in one target or in every target of every configured provider.
 * `--dry-run` names the targets it would sweep and aborts nothing.
 */
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { parseDuration } from '../format.js';
import { stopSignal } from '../signals.js';

/** Runs `sweep`. */
export async function runSweep(
  context: CommandContext,
  options: { readonly target?: string; readonly olderThan?: string; readonly dryRun?: boolean },
): Promise<ExitCodeValue> {
  const olderThanMs = options.olderThan === undefined ? undefined : parseDuration(options.olderThan);
  if (olderThanMs === undefined && options.olderThan !== undefined) {
    throw new CliError('USAGE', 'sweep: --older-than: must be a duration such as 24h, 30m, 90s or milliseconds');
  }
  return context.withStorage(async ({ storage }) => {
    if (options.dryRun) {
      const targets = (await storage.targets())
        .filter((target) => target.provider !== 'local' && storage.registry.provider(target.provider).configured)
        .filter(
          (target) =>
            options.target === undefined ||
            target.id === options.target ||
            (target.provider === options.target && target.current),
        )
        .map((target) => target.id);
      context.output.result({ ok: true, dryRun: true, targets, olderThanMs: olderThanMs ?? 24 * 3_600_000 });
      context.output.lines([
        `dry run: would sweep incomplete uploads in ${targets.join(', ') || '(no target)'}; nothing was aborted`,
      ]);
      return ExitCode.Ok;
    }
    const stop = stopSignal();
    try {
      const report = await storage.sweep({
        signal: stop.signal,
        ...(options.target !== undefined ? { target: options.target } : {}),
        ...(olderThanMs !== undefined ? { olderThanMs } : {}),
      });
      const broken = report.targets.filter((target) => target.error !== undefined);
      const ok = broken.length === 0 && report.failed === 0;
      context.output.result({ ok, ...report });
      context.output.lines([
        ...report.targets.map(
          (target) =>
            `  ${target.target}: ${target.error ? `not swept (${target.error.code}: ${target.error.message})` : `${target.aborted} aborted${target.failed > 0 ? `, ${target.failed} failed` : ''}`}`,
        ),
        `swept ${report.targets.length} targets: ${report.aborted} incomplete uploads aborted, ${report.failed} failed`,
      ]);
      if (ok) return ExitCode.Ok;
      return broken.length === report.targets.length && report.targets.length > 0 ? ExitCode.Failure : ExitCode.Partial;
    } finally {
      stop.release();
    }
  });
}
