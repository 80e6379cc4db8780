/**
 * `stowage stats`: the catalog's counts: results by state and by target
 * (with bytes), work in flight, and failures by error code since `--since`
 * (default: the last 24 h).
 */
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatBytes, parseDuration, table } from '../format.js';

/** Runs `stats`. */
export async function runStats(context: CommandContext, options: { readonly since?: string }): Promise<ExitCodeValue> {
  const sinceMs = parseDuration(options.since ?? '24h');
  if (sinceMs === undefined) throw new CliError('USAGE', 'stats: --since: must be a duration such as 24h, 7d or 30m');
  return context.withStorage(async ({ storage }) => {
    const stats = await storage.stats({ since: Date.now() - sinceMs });
    context.output.result({ ok: true, sinceMs, ...stats });
    context.output.lines([
      `results: ${stats.total} (${stats.inFlight} in flight)`,
      ...Object.entries(stats.byState).map(([state, count]) => `  ${state}: ${count}`),
      'by target:',
      ...table([
        ['  target', 'results', 'bytes'],
        ...stats.byTarget.map((entry) => [`  ${entry.targetId}`, String(entry.results), formatBytes(entry.bytes)]),
      ]),
      `failures in the last ${options.since ?? '24h'}: ${stats.recentFailures.map((failure) => `${failure.code} ${failure.count}`).join(', ') || 'none'}`,
    ]);
    return ExitCode.Ok;
  });
}
