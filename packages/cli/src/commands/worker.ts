/**
 * `stowage worker`: runs the re-offload worker (`storage.startWorker()`):
 * results that stayed local for a transient reason are sent again when due,
 * abandoned intents are resolved, queued reconcile jobs run, incomplete
 * uploads are swept. Runs until SIGINT or SIGTERM, then stops cleanly: the
 * results in flight finish, the storage closes, exit 0. One line per event
 * (one JSON line with --json).
 */
import type { OffloadFailedEvent, OffloadStoredEvent } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { parseDuration } from '../format.js';
import { stopSignal } from '../signals.js';

/** The options of `worker`, as commander parsed them. */
export interface WorkerCommandOptions {
  readonly concurrency?: string;
  readonly pollInterval?: string;
  readonly sweep?: boolean;
  readonly reconcileJobs?: boolean;
}

function durationOption(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new CliError('USAGE', `worker: ${option}: must be a duration such as 1s or 500ms`);
  return ms;
}

/** Runs `worker` until stopped. */
export async function runWorker(context: CommandContext, options: WorkerCommandOptions): Promise<ExitCodeValue> {
  const pollIntervalMs = durationOption('--poll-interval', options.pollInterval);
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  return context.withStorage(async ({ storage }) => {
    const { output } = context;
    const counts = { stored: 0, failed: 0 };
    const started = Date.now();
    const onStored = (event: OffloadStoredEvent) => {
      counts.stored++;
      output.event({ event: 'offload:stored', location: event.location, target: event.target, bytes: event.bytes });
      output.lines([`stored ${event.key} -> ${event.location}`]);
    };
    const onFailed = (event: OffloadFailedEvent) => {
      counts.failed++;
      output.event({
        event: 'offload:failed',
        key: event.key,
        code: event.code,
        stage: event.stage,
        message: event.message,
      });
      output.lines([`failed ${event.key}: ${event.code} at ${event.stage}: ${event.message}`]);
    };
    storage.events.on('offload:stored', onStored);
    storage.events.on('offload:failed', onFailed);
    const stop = stopSignal((signal) => {
      output.event({ event: 'stopping', signal });
      output.lines([`${signal}: stopping, waiting for the results in flight`]);
    });
    try {
      storage.startWorker({
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
        ...(options.sweep === false ? { sweepIntervalMs: false } : {}),
        ...(options.reconcileJobs === false ? { reconcileJobs: false } : {}),
      });
      output.event({ event: 'started', owner: storage.owner, pid: process.pid });
      output.lines([`worker started (pid ${process.pid}); Ctrl-C or SIGTERM stops it`]);
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      await storage.stopWorker();
    } finally {
      stop.release();
      storage.events.off('offload:stored', onStored);
      storage.events.off('offload:failed', onFailed);
    }
    const summary = { ...counts, durationMs: Date.now() - started };
    output.event({ event: 'stopped', ok: true, ...summary });
    output.lines([`worker stopped: ${counts.stored} stored, ${counts.failed} failed`]);
    return ExitCode.Ok;
  });
}
