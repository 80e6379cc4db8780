/**
 * The offload protocol (docs/architecture.md, "Offload: the data-safety protocol"):
 * 1. check the input, and open every file of the result once through the
 *    results disk's containment rule (bad input throws, before any I/O elsewhere);
 * 2. resolve the active backend and its current target once;
 * 3. record the intent in the catalog with the keys (the relative paths, or
 *    the provider's key template, see result-keys.ts), or find the same file
 *    already offloaded, or another attempt at work on it;
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
import { randomUUID } from 'node:crypto';
import { operationAbort } from '../abort.js';
import { removeUnlessAdopted } from '../catalog/removal-claims.js';
import type { Catalog, ResultRecord } from '../catalog/types.js';
import { keysNoOtherServes } from '../catalog/unserved-keys.js';
import { asStorageError, ErrorCode, isStorageError, StorageError } from '../errors.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import type { BackendRegistry } from '../registry/registry.js';
import type { StorageDriver } from '../types.js';
import type { OffloadJournal } from './journal.js';
import type { Begin, JournalFile, Ticket } from './journal-types.js';
import { removeStaleKept } from './kept-on-offload.js';
import { abortLeftUploads } from './left-uploads.js';
import { removeLocalCopies } from './local-copies.js';
import { runOnStored } from './on-stored.js';
import { closeResult, openResult, placedLocally } from './open-result.js';
import { type OutcomeContext, OutcomeReporter } from './outcome.js';
import { recordedOutcome } from './recorded-outcome.js';
import { changeSince } from './result-file.js';
import { ResultKeyPlan } from './result-keys.js';
import { SendFailure, type SendResult, sendResult } from './send-result.js';
import { removeStaleCopies } from './stale-copies.js';
import type { TargetResolver } from './targets.js';
import type { OffloadInput, OffloadOptions, OffloadOutcome, OffloadStage } from './types.js';
import { validateOffloadInput } from './validate-input.js';

/** What one offload needs from the storage it runs in. */
export interface OffloadContext extends OutcomeContext {
  readonly registry: BackendRegistry;
  /** The storage's catalog (the journal writes it); undefined when it keeps none. */
  readonly catalog: Catalog | undefined;
  readonly targets: TargetResolver;
  readonly journal: OffloadJournal;
  readonly logger: Logger;
  /** Gives up on one upload after this many milliseconds (TIMEOUT); undefined: the driver's own timeouts only. */
  readonly uploadTimeoutMs: number | undefined;
  /** Receives a driver write that was given up on but has not settled yet, so the owner can wait for it. */
  readonly linger?: (settling: Promise<unknown>) => void;
  /**
   * Runs the send and verification (steps 4 and 5) in one of the storage's
   * `concurrency` slots. The catalog steps around it run outside the slots,
   * so an offload waiting for its intent or its outcome to be durable does not
   * keep the backend idle (docs/architecture.md, "Concurrency").
   */
  readonly sendSlot: <T>(send: () => Promise<T>) => Promise<T>;
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
  let files: JournalFile[];
  try {
    files = await openResult(context.registry.local.root, input);
  } catch (error) {
    const done = await alreadyOffloaded(context, input.path, error);
    if (!done) throw error;
    const outcome = await recordedOutcome(context, new OutcomeReporter(context, input.path), done, [], options);
    return outcome.status === 'offloaded' ? { ...outcome, localDeleted: true } : outcome;
  }
  try {
    return await offloadOpened(context, input, files, options, held);
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

/** Steps 2 and 3, then the send and the commit for a remote default. */
async function offloadOpened(
  context: OffloadContext,
  input: OffloadInput,
  files: readonly JournalFile[],
  options: OffloadOptions,
  held: { readonly attemptId: string } | undefined,
): Promise<OffloadOutcome> {
  const report = new OutcomeReporter(context, input.path);
  const onLocalDisk = placedLocally(files);
  // 2. Where new results go, resolved once: settings edits during the upload cannot redirect it.
  const active = context.registry.active();
  const keyPlan = await ResultKeyPlan.of(active.name === 'local' ? undefined : active.keyTemplate, files);
  // 3. The intent, with the keys fixed by the record, before the first byte goes out.
  const attemptId = held?.attemptId ?? randomUUID();
  let begin: Begin;
  try {
    begin = await context.journal.begin(files, {
      targetId: active.target,
      keysFor: (record) => keyPlan.keysFor(record),
      keysNeedRecordId: keyPlan.needsRecordId,
      metadata: input.metadata ?? {},
      attemptId,
    });
  } catch (error) {
    // The catalog failed (a lost connection or answer, a full disk under SQLite) before anything was
    // sent: the result stays local, and an intent that committed all the same is released.
    await context.journal.beginFailed(input.path, attemptId, error);
    return await report.local(onLocalDisk, { attempted: active.name, stage: 'record', cause: error });
  }
  if (begin.kind !== 'begun') return await recordedOutcome(context, report, begin, files, options);
  await abortAbandonedUploads(context, begin.ticket);
  const attempt: Attempt = {
    context,
    input,
    files,
    options,
    report,
    onLocalDisk,
    active,
    keyPlan,
    ticket: begin.ticket,
  };
  // The default cannot be used (local disk stands in), or its key template cannot name these files.
  if (active.fallback) {
    const cause = new StorageError(ErrorCode.Misconfigured, active.fallback.reason);
    return await stayLocal(attempt, { attempted: active.fallback.from, stage: 'resolve', cause });
  }
  if (keyPlan.problem)
    return await stayLocal(attempt, { attempted: active.name, stage: 'resolve', cause: keyPlan.problem });
  if (active.name === 'local') {
    await recordingSafely(attempt, () => context.journal.keptLocal(attempt.ticket));
    return await report.local(onLocalDisk, undefined, attempt.ticket.recordId);
  }
  const sent = await context.sendSlot(() => sendVerified(attempt));
  if ('failure' in sent) return await stayLocal(attempt, sent.failure, sent.uncertain);
  return await commitOffloaded(attempt, sent);
}

/**
 * The uploads an attempt whose intent this one took over left open (its
 * process died mid-upload, see left-uploads.ts), aborted before this attempt
 * sends anything. Recovery does the same for intents nobody takes over.
 */
async function abortAbandonedUploads(context: OffloadContext, ticket: Ticket): Promise<void> {
  const { abandoned } = ticket;
  if (!abandoned?.targetId || !abandoned.keys || abandoned.attemptId === ticket.attemptId) return;
  let driver: StorageDriver;
  try {
    driver = context.targets.open(abandoned.targetId).driver;
  } catch (error) {
    context.logger.warn(
      { target: abandoned.targetId, error: errorFacts(error) },
      'could not open the target an abandoned attempt was sending to; the sweep will abort what it left open',
    );
    return;
  }
  await abortLeftUploads(context.logger, driver, abandoned.keys);
}

/** One begun offload to a remote default: everything steps 4 to 7 work with. */
interface Attempt {
  readonly context: OffloadContext;
  readonly input: OffloadInput;
  readonly files: readonly JournalFile[];
  readonly options: OffloadOptions;
  readonly report: OutcomeReporter;
  readonly onLocalDisk: ReturnType<typeof placedLocally>;
  readonly active: ReturnType<BackendRegistry['active']>;
  readonly keyPlan: ResultKeyPlan;
  readonly ticket: Ticket;
}

async function stayLocal(attempt: Attempt, failure: LocalFailure, uncertain?: boolean): Promise<OffloadOutcome> {
  await recordingSafely(attempt, () =>
    attempt.context.journal.stayedLocal(attempt.ticket, failure.cause, { uncertain }),
  );
  return await attempt.report.local(attempt.onLocalDisk, failure, attempt.ticket.recordId);
}

/**
 * Records a result that stays local; a catalog failure is logged, not thrown,
 * because the result is where the outcome says (local) either way, and its
 * intent, left on the record, expires for recovery to settle.
 */
async function recordingSafely(attempt: Attempt, record: () => Promise<void>): Promise<void> {
  try {
    await record();
  } catch (error) {
    attempt.context.logger.warn(
      { key: attempt.input.path, error: errorFacts(error) },
      'could not record that the result stays on local disk; recovery will settle its record',
    );
  }
}

/** Steps 4 and 5: send and verify every file under one abort and timeout, then check none changed meanwhile. */
async function sendVerified(
  attempt: Attempt,
): Promise<SendResult | { readonly failure: LocalFailure; readonly uncertain?: boolean }> {
  const { context, input, files, options, active, keyPlan, ticket } = attempt;
  const abort = operationAbort({
    signal: options.signal,
    timeoutMs: context.uploadTimeoutMs,
    subject: `upload of "${input.path}"`,
    key: input.path,
  });
  let sent: SendResult;
  try {
    sent = await sendResult({
      driver: active.driver,
      backend: active.name,
      files,
      keys: ticket.keys,
      metadata: input.metadata ?? {},
      attemptId: ticket.attemptId,
      exclusive: (key) => keyPlan.exclusive(ticket, active.target, key),
      servedByOther: async (key) =>
        (await keysNoOtherServes(context.catalog, ticket.recordId, active.target, [key])).length === 0,
      removalClaimed: async (key) => (await context.catalog?.removalClaimed(active.target, key)) === true,
      removeWritten: (keys) =>
        removeUnlessAdopted(context.catalog, active.driver, {
          targetId: active.target,
          keys,
          recordId: ticket.recordId,
        }),
      abandonedAttempt: ticket.abandoned?.attemptId,
      abort,
      logger: context.logger,
      linger: context.linger,
    });
  } catch (failure) {
    if (!(failure instanceof SendFailure)) throw failure;
    return {
      failure: { attempted: active.name, stage: failure.stage, cause: failure.error },
      uncertain: failure.uncertain,
    };
  }
  // A changed file's remote copy holds stale bytes: discard what this attempt wrote (an adopted object is another result's).
  const change = await firstChange(files, context.registry.local.root);
  if (!change) return sent;
  await removeWrote(context, attempt, sent);
  return { failure: { attempted: active.name, stage: 'verify', cause: change } };
}

/**
 * Best effort: removes what this attempt wrote, but an object another result
 * adopted meanwhile (it held that result's very bytes) is left to it
 * (catalog/removal-claims.ts). What stays is reconcile's to find.
 */
async function removeWrote(context: OffloadContext, attempt: Attempt, sent: SendResult): Promise<void> {
  const { active, ticket } = attempt;
  await removeUnlessAdopted(context.catalog, active.driver, {
    targetId: active.target,
    keys: sent.wrote,
    recordId: ticket.recordId,
  }).catch(() => undefined);
}

/** Steps 6 and 7: one durable commit, the caller's `onStored`, then delete-local of the verified files only. */
async function commitOffloaded(attempt: Attempt, sent: SendResult): Promise<OffloadOutcome> {
  const { context, files, options, report, onLocalDisk, active, ticket } = attempt;
  const keys = ticket.keys;
  const location = formatLocation(active.name, keys[0] as string);
  try {
    await context.journal.offloaded(ticket, { targetId: active.target, location, files: sent.files });
  } catch (error) {
    const failure: LocalFailure = { attempted: active.name, stage: 'record', cause: asStorageError(error) };
    // The catalog refused the outcome (another result took a key or the path meanwhile): nothing was committed,
    // so the attempt lets go at once. Any other failure may have committed all the same: recovery settles it.
    if (!isStorageError(error, ErrorCode.PreconditionFailed))
      return await report.local(onLocalDisk, failure, ticket.recordId);
    await removeWrote(context, attempt, sent);
    return await stayLocal(attempt, failure);
  }
  await removeStaleCopies(context, ticket, active.target, keys);
  if (ticket.kept.copies.length > 0) await removeStaleKept(context, ticket, active.target, keys);
  const outcome = await report.offloaded({
    backend: active.name,
    target: active.target,
    driver: active.driver,
    files: sent.files,
    resultId: ticket.recordId,
    checksum: sent.checksum,
  });
  const recorded = await runOnStored(options, outcome);
  if (recorded) {
    return await report.local(
      onLocalDisk,
      { attempted: active.name, stage: 'record', cause: recorded },
      ticket.recordId,
    );
  }
  report.stored(outcome);
  if (!(options.deleteLocal ?? active.deleteLocal)) return { ...outcome, durationMs: report.elapsed() };
  return await removeLocalCopies(context, report, ticket, files, outcome);
}

/** Why a result stayed local, as its outcome reports it. */
interface LocalFailure {
  readonly attempted: string;
  readonly stage: OffloadStage;
  readonly cause: StorageError;
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
