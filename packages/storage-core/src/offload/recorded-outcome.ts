/**
 * Offloads that find their work already done, or in progress elsewhere. The
 * same unchanged file offloaded again is reported from its record (and its
 * local copies removed when asked); an offload that meets another attempt at
 * work on the same result waits for it, so two attempts never both upload or
 * both delete.
 */
import type { ResultRecord } from '../catalog/types.js';
import { ErrorCode, StorageError } from '../errors.js';
import type { Begin, JournalFile } from './journal-types.js';
import { removeLocalCopies } from './local-copies.js';
import type { OffloadContext } from './offload.js';
import { runOnStored } from './on-stored.js';
import { placedLocally } from './open-result.js';
import type { OutcomeReporter } from './outcome.js';
import type { OffloadOptions, OffloadOutcome } from './types.js';

/** How long an offload waits for another attempt at the same result. */
const BUSY_WAIT_MS = 30_000;

/** The outcome of an offload whose `begin` found the work done or held by another attempt. */
export async function recordedOutcome(
  context: OffloadContext,
  report: OutcomeReporter,
  begin: Exclude<Begin, { kind: 'begun' }>,
  files: readonly JournalFile[],
  options: OffloadOptions,
): Promise<OffloadOutcome> {
  let record: ResultRecord | undefined;
  let unknown: unknown;
  try {
    record = begin.kind === 'busy' ? await context.journal.settled(begin.record, BUSY_WAIT_MS) : begin.record;
  } catch (error) {
    unknown = error; // the catalog failed while waiting: the other attempt's end is not known, the file is local
  }
  if (record?.state !== 'offloaded') {
    const cause =
      unknown ??
      (record === undefined
        ? new StorageError(ErrorCode.Unavailable, `another offload of "${begin.record.path}" is still in progress`)
        : new StorageError(
            (record.lastError?.code as ErrorCode | undefined) ?? ErrorCode.Unavailable,
            record.lastError?.message ?? `another offload of "${record.path}" left it on local disk`,
          ));
    const stage = unknown === undefined ? 'upload' : 'record';
    return report.local(placedLocally(files), { attempted: 'local', stage, cause }, begin.record.id);
  }
  let target: ReturnType<OffloadContext['targets']['open']>;
  try {
    target = context.targets.open(record.targetId);
  } catch (cause) {
    return report.local(placedLocally(files), { attempted: record.targetId, stage: 'resolve', cause }, record.id);
  }
  const { backend, driver } = target;
  const outcome = await report.offloaded({
    backend,
    target: record.targetId,
    driver,
    files: record.files,
    resultId: record.id,
    checksum: undefined,
  });
  const failed = await runOnStored(options, outcome);
  if (failed)
    return report.local(placedLocally(files), { attempted: backend, stage: 'record', cause: failed }, record.id);
  const wantsDelete = options.deleteLocal ?? context.registry.provider(backend).deleteLocal;
  if (begin.kind !== 'done' || !wantsDelete || !record.localCopy) return outcome;
  return removeLocalCopies(context, report, context.journal.ticketFor(record), files, outcome);
}
