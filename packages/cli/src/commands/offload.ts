/**
 * `stowage offload <path…>`: sends results (files, or every file under a
 * folder) from the results disk to the active backend through
 * `storage.offload()`, the same verified protocol the app uses: a result
 * whose upload fails stays on local disk, serving from there, and is
 * reported, never lost. Progress on stderr; `--dry-run` only counts.
 * SIGINT/SIGTERM stops starting new results; those in flight finish.
 */
import type { OffloadOutcome, Storage } from '@stowage/storage-core';
import pLimit from 'p-limit';
import type { CommandContext } from '../context.js';
import { describeError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatBytes } from '../format.js';
import { createProgress } from '../progress.js';
import { type ResultFile, resultFiles } from '../result-paths.js';
import { stopSignal } from '../signals.js';

/** The storage's own default concurrency, when the config sets none. */
const DEFAULT_CONCURRENCY = 4;

/** Results listed one by one in human output up to this many; beyond, only those that stayed local. */
const LIST_ALL_UP_TO = 100;

/** A result the storage refused outright (its file vanished or changed kind since it was listed). */
interface Refused {
  readonly key: string;
  readonly size: number;
  readonly refused: { readonly code: string; readonly message: string };
}

type Row = OffloadOutcome | Refused;

const isRefused = (row: Row): row is Refused => 'refused' in row;
const hasFailed = (row: Row) => isRefused(row) || row.error !== undefined;

function outcomeJson(outcome: Row): Record<string, unknown> {
  if (isRefused(outcome)) return { path: outcome.key, status: 'refused', size: outcome.size, error: outcome.refused };
  return {
    path: outcome.key,
    status: outcome.status,
    backend: outcome.backend,
    target: outcome.target,
    location: outcome.location,
    size: outcome.size,
    checksum: outcome.checksum ?? null,
    localDeleted: outcome.localDeleted,
    ...(outcome.error
      ? { error: { code: outcome.error.code, message: outcome.error.message, stage: outcome.failedStage } }
      : {}),
  };
}

function outcomeLine(outcome: Row): string {
  if (isRefused(outcome)) return `refused    ${outcome.key}  (${outcome.refused.code}: ${outcome.refused.message})`;
  if (outcome.error)
    return `local      ${outcome.key}  (${outcome.error.code} at ${outcome.failedStage}: ${outcome.error.message})`;
  return `${outcome.status.padEnd(10)} ${outcome.key} -> ${outcome.location}${outcome.localDeleted ? ' (local copy removed)' : ''}`;
}

/** Runs `offload`. */
export async function runOffload(
  context: CommandContext,
  paths: readonly string[],
  options: { readonly dryRun?: boolean },
): Promise<ExitCodeValue> {
  return context.withStorage(async ({ storage }) => {
    const files = await resultFiles(storage.registry.local.root, context.io.cwd, paths);
    const bytesTotal = files.reduce((sum, file) => sum + file.size, 0);
    const active = storage.registry.active();
    if (options.dryRun) {
      context.output.result({
        ok: true,
        dryRun: true,
        backend: active.name,
        target: active.target,
        results: files.length,
        bytes: bytesTotal,
        paths: files.map((file) => file.path),
      });
      context.output.lines([
        `dry run: would offload ${files.length} results (${formatBytes(bytesTotal)}) to ${active.name} (${active.target}); nothing was sent`,
      ]);
      return ExitCode.Ok;
    }
    const concurrency = (await context.config()).concurrency ?? DEFAULT_CONCURRENCY;
    const { rows: outcomes, notStarted } = await offloadAll(context, storage, files, bytesTotal, concurrency);
    const failed = outcomes.filter(hasFailed);
    const summary = {
      total: outcomes.length,
      offloaded: outcomes.filter((outcome) => !isRefused(outcome) && outcome.status === 'offloaded').length,
      local: outcomes.filter((outcome) => !isRefused(outcome) && outcome.status === 'local').length,
      failed: failed.length,
      notStarted,
      bytes: bytesTotal,
    };
    context.output.result({
      ok: failed.length === 0 && notStarted === 0,
      backend: active.name,
      target: active.target,
      summary,
      results: outcomes.map(outcomeJson),
    });
    const listed = outcomes.length <= LIST_ALL_UP_TO ? outcomes : failed;
    context.output.lines([
      ...listed.map(outcomeLine),
      `${summary.offloaded} offloaded, ${summary.local} on local disk (${summary.failed} failed) of ${summary.total} results, ${formatBytes(bytesTotal)}`,
      ...(notStarted > 0 ? [`stopped: ${notStarted} results were not started (they stay on local disk)`] : []),
    ]);
    if (failed.length === 0 && notStarted === 0) return ExitCode.Ok;
    return failed.length > 0 && failed.length === outcomes.length ? ExitCode.Failure : ExitCode.Partial;
  });
}

async function offloadAll(
  context: CommandContext,
  storage: Storage,
  files: readonly ResultFile[],
  bytesTotal: number,
  concurrency: number,
): Promise<{ rows: Row[]; notStarted: number }> {
  const progress = createProgress(context.output, 'offload');
  const stop = stopSignal(() =>
    context.output.note('stopping: finishing the results in flight (press again to quit at once)'),
  );
  // The CLI's own bound (the storage's concurrency), so that a stop leaves the rest unstarted rather than queued.
  const limit = pLimit(concurrency);
  let done = 0;
  let failed = 0;
  let bytesDone = 0;
  const update = () => progress.update({ done, failed, total: files.length, bytesDone, bytesTotal });
  update();
  try {
    const rows = await Promise.all(
      files.map((file) =>
        limit(async (): Promise<Row | undefined> => {
          if (stop.signal.aborted) return undefined;
          const outcome: Row = await storage
            .offload({ path: file.path })
            .catch((error: unknown) => ({ key: file.path, size: file.size, refused: describeError(error) }));
          if (hasFailed(outcome)) failed++;
          else done++;
          bytesDone += file.size;
          update();
          return outcome;
        }),
      ),
    );
    const started = rows.filter((row): row is Row => row !== undefined);
    return { rows: started, notStarted: files.length - started.length };
  } finally {
    stop.release();
    progress.stop();
  }
}
