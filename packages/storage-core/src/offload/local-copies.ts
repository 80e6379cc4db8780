import { asStorageError, ErrorCode, StorageError } from '../errors.js';
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
  context: { readonly registry: { readonly local: { readonly root: string } }; readonly journal: OffloadJournal },
  report: OutcomeReporter,
  ticket: Ticket,
  files: readonly JournalFile[],
  outcome: OffloadOutcome,
): Promise<OffloadOutcome> {
  if (!(await context.journal.removingLocal(ticket, files))) {
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
  if (!failure) await context.journal.localRemoved(ticket);
  else if (failure.code === ErrorCode.ChangedDuringOffload) await context.journal.newVersionAtPath(ticket);
  else await context.journal.localKept(ticket, files);
  report.localDeleted(outcome, failure);
  return failure
    ? { ...outcome, localDeleteError: failure, durationMs: report.elapsed() }
    : { ...outcome, localDeleted: true, durationMs: report.elapsed() };
}
