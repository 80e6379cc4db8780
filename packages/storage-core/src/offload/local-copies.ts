import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import { errorFacts, type Logger } from '../logger.js';
import type { OffloadJournal } from './journal.js';
import type { JournalFile, Ticket } from './journal-types.js';
import { removeVerifiedFile } from './local-removal.js';
import type { OutcomeReporter } from './outcome.js';
import type { OffloadOutcome } from './types.js';

/**
 * Delete-local for a recorded result: removes each verified file (original
 * and variants) only if its path still holds that very file, records the
 * removal, and reports it. A failure leaves the result in both places, which
 * is safe, so it is reported in `localDeleteError` rather than as a failed offload.
 */
export async function removeLocalCopies(
  context: {
    readonly registry: { readonly local: { readonly root: string } };
    readonly journal: OffloadJournal;
    readonly logger: Logger;
  },
  report: OutcomeReporter,
  ticket: Ticket,
  files: readonly JournalFile[],
  outcome: OffloadOutcome,
): Promise<OffloadOutcome> {
  let begun: boolean;
  try {
    begun = await context.journal.removingLocal(ticket, files);
  } catch (error) {
    // The catalog failed before the removal was recorded: nothing is removed, the copy stays.
    const failure = asStorageError(error, outcome.key);
    report.localDeleted(outcome, failure);
    return { ...outcome, localDeleteError: failure, durationMs: report.elapsed() };
  }
  if (!begun) {
    const failure = new StorageError(
      ErrorCode.PreconditionFailed,
      `the record of "${outcome.key}" changed before its local copy could be removed; the copy stays`,
      { key: outcome.key },
    );
    report.localDeleted(outcome, failure);
    return { ...outcome, localDeleteError: failure, durationMs: report.elapsed() };
  }
  let failure: StorageError | undefined;
  for (const file of files) {
    try {
      await removeVerifiedFile(context.registry.local.root, file.opened.path, file.opened.identity, ticket.attemptId);
    } catch (error) {
      failure ??= asStorageError(error, file.opened.path);
    }
  }
  try {
    if (!failure) await context.journal.localRemoved(ticket);
    else if (failure.code === ErrorCode.ChangedDuringOffload) await context.journal.newVersionAtPath(ticket);
    else await context.journal.localKept(ticket, files);
  } catch (error) {
    // What became of the files is done and reported below; the cleanup intent on the record names
    // them, and recovery settles it (checking the files again).
    context.logger.warn(
      { key: outcome.key, error: errorFacts(error) },
      'could not record what became of the local copies; recovery will settle the record',
    );
  }
  report.localDeleted(outcome, failure);
  return failure
    ? { ...outcome, localDeleteError: failure, durationMs: report.elapsed() }
    : { ...outcome, localDeleted: true, durationMs: report.elapsed() };
}
