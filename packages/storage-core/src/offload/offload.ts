/**
 * The offload protocol (docs/architecture.md, "Offload: the data-safety protocol"):
 * 1. check the input, and open every file of the result once through the
 *    results disk's containment rule (bad input throws, before any I/O elsewhere);
 * 2. resolve the active backend and its current target once;
 * 3. record the intent in the catalog (or find the same file already offloaded,
 *    or another attempt at work on it);
 * 4. send every file and verify it (size, and a checksum the backend confirms
 *    or a read-back);
 * 5. make sure each file is still the one that was sent, unchanged;
 * 6. commit the outcome in one durable catalog step, then run the caller's `onStored`;
 * 7. only then, with delete-local on, remove the local copies that were verified.
 * Any storage failure leaves the result on local disk, serving from there,
 * recorded for the worker; it is reported in the outcome, never thrown.
 *
 * No retry layer here: drivers retry transient failures themselves (one layer
 * only), and the worker retries results that stayed local.
 */
import { operationAbort } from '../abort.js';
import type { ResultRecord } from '../catalog/types.js';
import { ErrorCode, isStorageError, StorageError } from '../errors.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import type { BackendRegistry } from '../registry/registry.js';
import type { JournalFile, OffloadJournal, StoredFile, Ticket } from './journal.js';
import { removeLocalCopies } from './local-copies.js';
import { runOnStored } from './on-stored.js';
import { closeResult, openResult, placedLocally } from './open-result.js';
import { type OutcomeContext, OutcomeReporter } from './outcome.js';
import { recordedOutcome } from './recorded-outcome.js';
import { changeSince } from './result-file.js';
import { SendFailure, sendResult } from './send-result.js';
import type { TargetResolver } from './targets.js';
import type { OffloadInput, OffloadOptions, OffloadOutcome } from './types.js';
import { validateOffloadInput } from './validate-input.js';

/** What one offload needs from the storage it runs in. */
export interface OffloadContext extends OutcomeContext {
  readonly registry: BackendRegistry;
  readonly targets: TargetResolver;
  readonly journal: OffloadJournal;
  readonly logger: Logger;
  /** Gives up on one upload after this many milliseconds (TIMEOUT); undefined: the driver's own timeouts only. */
  readonly uploadTimeoutMs: number | undefined;
  /** Receives a driver write that was given up on but has not settled yet, so the owner can wait for it. */
  readonly linger?: (settling: Promise<unknown>) => void;
}

/**
 * Offloads one result by the protocol above. Throws only for bad input, before
 * any backend is asked anything. `held` is a catalog claim the caller (the
 * worker) already holds on the result.
 */
export async function offloadResult(
  context: OffloadContext,
  rawInput: OffloadInput,
  options: OffloadOptions = {},
  held?: { readonly attemptId: string },
): Promise<OffloadOutcome> {
  // 1. The input, and every file of the result opened once.
  const input = validateOffloadInput(rawInput);
  const root = context.registry.local.root;
  let files: JournalFile[];
  try {
    files = await openResult(root, input);
  } catch (error) {
    const done = await alreadyOffloaded(context, input.path, error);
    if (!done) throw error;
    const outcome = await recordedOutcome(context, new OutcomeReporter(context, input.path), done, [], options);
    return outcome.status === 'offloaded' ? { ...outcome, localDeleted: true } : outcome;
  }
  try {
    const report = new OutcomeReporter(context, input.path);
    const onLocalDisk = placedLocally(files);
    // 2. Where new results go, resolved once: settings edits during the upload cannot redirect it.
    const active = context.registry.active();
    const targetId = active.target;
    const keys = files.map((file) => file.opened.path);
    // 3. The intent, before the first byte goes out.
    const begin = await context.journal.begin(files, {
      targetId,
      keys,
      metadata: input.metadata ?? {},
      heldAttempt: held?.attemptId,
    });
    if (begin.kind !== 'begun') return await recordedOutcome(context, report, begin, files, options);
    const { ticket } = begin;
    if (active.fallback) {
      const cause = new StorageError(ErrorCode.Misconfigured, active.fallback.reason);
      await context.journal.stayedLocal(ticket, cause);
      return await report.local(
        onLocalDisk,
        { attempted: active.fallback.from, stage: 'resolve', cause },
        ticket.recordId,
      );
    }
    if (active.name === 'local') {
      await context.journal.keptLocal(ticket);
      return await report.local(onLocalDisk, undefined, ticket.recordId);
    }
    // 4. Send and verify every file, under one abort and timeout.
    const abort = operationAbort({
      signal: options.signal,
      timeoutMs: context.uploadTimeoutMs,
      subject: `upload of "${input.path}"`,
      key: input.path,
    });
    let sent: { files: readonly StoredFile[]; checksum: OffloadOutcome['checksum'] };
    try {
      sent = await sendResult({
        driver: active.driver,
        backend: active.name,
        files,
        keys,
        metadata: input.metadata ?? {},
        attemptId: ticket.attemptId,
        abort,
        logger: context.logger,
        linger: context.linger,
      });
    } catch (failure) {
      if (!(failure instanceof SendFailure)) throw failure;
      await context.journal.stayedLocal(ticket, failure.error, { uncertain: failure.uncertain });
      const cause = failure.error;
      return await report.local(onLocalDisk, { attempted: active.name, stage: failure.stage, cause }, ticket.recordId);
    }
    // 5. Every file must still be the one that was sent: a changed file's remote copy holds stale bytes.
    const change = await firstChange(files, root);
    if (change) {
      await active.driver.deleteMany(sent.files.map((file) => file.key)).catch(() => undefined);
      await context.journal.stayedLocal(ticket, change);
      return await report.local(
        onLocalDisk,
        { attempted: active.name, stage: 'verify', cause: change },
        ticket.recordId,
      );
    }
    // 6. One durable commit, then the caller records the location.
    const location = formatLocation(active.name, keys[0] as string);
    const placement = {
      backend: active.name,
      target: targetId,
      driver: active.driver,
      files: sent.files,
      resultId: ticket.recordId,
      checksum: sent.checksum,
    };
    try {
      await context.journal.offloaded(ticket, {
        targetId,
        location,
        files: sent.files,
      });
    } catch (error) {
      return await report.local(
        onLocalDisk,
        { attempted: active.name, stage: 'record', cause: error },
        ticket.recordId,
      );
    }
    await removeStaleCopies(context, ticket, targetId, keys);
    const outcome = await report.offloaded(placement);
    const recorded = await runOnStored(options, outcome);
    if (recorded)
      return await report.local(
        onLocalDisk,
        { attempted: active.name, stage: 'record', cause: recorded },
        ticket.recordId,
      );
    report.stored(outcome);
    // 7. Delete-local, only of the verified files.
    if (!(options.deleteLocal ?? active.deleteLocal)) return { ...outcome, durationMs: report.elapsed() };
    return await removeLocalCopies(context, report, ticket, files, outcome);
  } finally {
    await closeResult(files);
  }
}

/**
 * A missing result file whose record says it is offloaded and its local copy
 * gone: an offload repeated after delete-local, or a batch resumed after a
 * crash in which recovery finished the interrupted removal of its local copy
 * meanwhile. It is reported from its record, not thrown as NOT_FOUND.
 */
async function alreadyOffloaded(
  context: OffloadContext,
  path: string,
  error: unknown,
): Promise<{ kind: 'done'; record: ResultRecord } | undefined> {
  if (!isStorageError(error, ErrorCode.NotFound)) return undefined;
  const record = await context.journal.offloadedWithoutLocalCopy(path);
  return record ? { kind: 'done', record } : undefined;
}

async function firstChange(files: readonly JournalFile[], root: string): Promise<StorageError | undefined> {
  for (const file of files) {
    const why = await changeSince(file.opened, root);
    if (why) {
      return new StorageError(
        ErrorCode.ChangedDuringOffload,
        `result "${file.opened.path}" changed during offload (${why}); its upload was discarded and the new version stays local for the next offload`,
        { key: file.opened.path },
      );
    }
  }
  return undefined;
}

/** An older version's copies on another target are stale once the new one is committed. */
async function removeStaleCopies(
  context: OffloadContext,
  ticket: Ticket,
  targetId: string,
  keys: readonly string[],
): Promise<void> {
  const stale = ticket.stale;
  if (!stale) return;
  const leftover = stale.targetId === targetId ? stale.keys.filter((key) => !keys.includes(key)) : stale.keys;
  if (leftover.length === 0) return;
  try {
    const { driver } = context.targets.open(stale.targetId);
    const result = await driver.deleteMany(leftover);
    if (result.failed.length > 0) throw result.failed[0]?.error;
  } catch (error) {
    context.logger.warn(
      { target: stale.targetId, keys: leftover, error: errorFacts(error) },
      'could not remove the copies of an older version; reconcile will find them',
    );
  }
}
