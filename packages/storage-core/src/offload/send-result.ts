/**
 * Sending every file of a result (the original, then its variants) and
 * verifying each, under one abort/timeout. When a write fails in a way that
 * may have stored the object anyway (the response was lost, the attempt timed
 * out), the key is checked: an object that carries this attempt's id and
 * reads back with the file's SHA-256 is adopted, and one it cannot check
 * leaves the result "uncertain" for recovery. When the send fails, every
 * object this attempt wrote is removed: those its writes reported stored, and
 * at keys whose write failed, only an object carrying this attempt's id, so a
 * copy written by any other attempt is never touched, nor one adopted at a
 * templated key because it already held this very file (taken-key.ts): that
 * object is another result's, perhaps its served file.
 */
import type { OperationAbort } from '../abort.js';
import { asStorageError, ErrorCode, isStorageError, type StorageError } from '../errors.js';
import { errorFacts, type Logger } from '../logger.js';
import type { DeleteManyResult, StorageDriver, WriteResult } from '../types.js';
import { sha256Stream } from './hash-file.js';
import type { JournalFile, StoredFile } from './journal-types.js';
import { keyTakenByOther } from './result-keys.js';
import { ATTEMPT_METADATA_KEY, type SentFile, sendFile } from './send-file.js';
import { settleTakenKey, type TakenKey } from './taken-key.js';
import { verifyStored } from './verify.js';

/** How long a driver may take to wind down after an abort before offload stops waiting. */
export const ABORT_GRACE_MS = 1000;

/** Failures that prove nothing was stored, so there is nothing to check at the key. */
const NOTHING_STORED: ReadonlySet<string> = new Set([
  ErrorCode.InvalidInput,
  ErrorCode.InvalidKey,
  ErrorCode.ChangedDuringOffload,
  ErrorCode.InvalidCredentials,
  ErrorCode.AccessDenied,
  ErrorCode.BucketNotFound,
  ErrorCode.Misconfigured,
  ErrorCode.Tls,
  ErrorCode.ClockSkew,
  ErrorCode.PreconditionFailed,
]);

/** One result's send. */
export interface SendPlan {
  readonly driver: StorageDriver;
  readonly backend: string;
  readonly files: readonly JournalFile[];
  readonly keys: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly attemptId: string;
  /** Keys to write only if absent (templated keys this record does not hold yet); none when omitted. */
  readonly exclusive?: (key: string) => boolean;
  /** Whether another live record serves `key` (then its object is not adopted); none does when omitted. */
  readonly servedByOther?: (key: string) => Promise<boolean>;
  /** Whether a removal claimed `key` (then its object is not adopted; catalog/removal-claims.ts); none did when omitted. */
  readonly removalClaimed?: (key: string) => Promise<boolean>;
  /** Removes objects this attempt wrote, leaving any another result adopted meanwhile; `driver.deleteMany` when omitted. */
  readonly removeWritten?: (keys: readonly string[]) => Promise<DeleteManyResult>;
  /** An earlier attempt of this result whose leftover objects may be replaced (see taken-key.ts). */
  readonly abandonedAttempt?: string;
  readonly abort: OperationAbort;
  readonly logger: Logger;
  /** Receives a write that was given up on but is still running, so its owner can wait for it. */
  readonly linger?: (settling: Promise<unknown>) => void;
}

/** Every file stored and verified, with the weakest check any of them got. */
export interface SendResult {
  readonly files: readonly StoredFile[];
  readonly checksum: WriteResult['checksum'];
  /** The keys this attempt wrote itself: all of `files`' but those adopted from another result. */
  readonly wrote: readonly string[];
}

/**
 * The failure of a send: where, why, and whether something may be left at a
 * key that nobody checked (an object, or a multipart upload the driver could
 * not abort), which recovery then looks at.
 */
export class SendFailure extends Error {
  readonly stage: 'upload' | 'verify';
  readonly error: StorageError;
  readonly uncertain: boolean;
  constructor(stage: 'upload' | 'verify', error: StorageError, uncertain: boolean) {
    super(error.message, { cause: error });
    this.stage = stage;
    this.error = error;
    this.uncertain = uncertain;
  }
}

/** Sends and verifies every file; on failure removes what this attempt stored and throws a SendFailure. */
export async function sendResult(plan: SendPlan): Promise<SendResult> {
  const written: Written = { stored: [], failed: [], checks: [] };
  const stored: StoredFile[] = [];
  for (const [index, file] of plan.files.entries()) {
    const key = plan.keys[index] as string;
    let sent: SentFile;
    try {
      sent = await writeOne(plan, file, key, written);
    } catch (error) {
      if (error instanceof SendFailure) throw await cleanedUp(plan, written, error);
      throw error;
    }
    try {
      await verifyStored(plan.driver, sent);
    } catch (error) {
      throw await cleanedUp(plan, written, new SendFailure('verify', asStorageError(error, key), false));
    }
    stored.push({
      name: file.name,
      path: file.opened.path,
      key,
      size: sent.size,
      sha256: sent.sha256,
      contentType: file.contentType,
      identity: file.opened.identity,
    });
  }
  return { files: stored, checksum: checksumOf(written), wrote: [...written.stored] };
}

/** Keys this attempt wrote: reported stored, or whose write failed after it may have reached the backend. */
interface Written {
  readonly stored: string[];
  readonly failed: string[];
  /** The check each file's object got, in file order (adopted ones too). */
  readonly checks: WriteResult['checksum'][];
}

/** The check the original got (the outcome reports it). */
function checksumOf(written: Written): WriteResult['checksum'] {
  return written.checks[0] ?? 'none';
}

async function writeOne(
  plan: SendPlan,
  file: JournalFile,
  key: string,
  written: Written,
  again = false,
): Promise<SentFile> {
  const { abort } = plan;
  const exclusive = plan.exclusive?.(key) === true;
  let lingering = false;
  const sending = sendFile(plan.driver, file.opened, {
    key,
    contentType: file.contentType,
    metadata: plan.metadata,
    attemptId: plan.attemptId,
    signal: abort.signal,
    ifNotExists: exclusive,
  });
  try {
    const sent = await abort.settle(sending, ABORT_GRACE_MS, (late) => {
      lingering = true;
      plan.linger?.(
        late.then(
          () =>
            plan.logger.warn(
              { backend: plan.backend, key },
              'an upload given up on finished later; recovery will check it',
            ),
          (error: unknown) =>
            plan.logger.info(
              { backend: plan.backend, key, error: errorFacts(error) },
              'an upload given up on has settled',
            ),
        ),
      );
    });
    record(written, key, sent.written.checksum);
    return sent;
  } catch (cause) {
    const error = asStorageError(abort.classify(cause), key);
    const original = asStorageError(cause, key);
    if (exclusive && original.code === ErrorCode.PreconditionFailed && !lingering) {
      return await takenKey(plan, file, key, written, again);
    }
    const leftOpen = original.details?.uploadLeftOpen === true;
    if (provedNothingStored(plan.driver, original) && !lingering) throw new SendFailure('upload', error, leftOpen);
    written.failed.push(key);
    if (lingering) throw new SendFailure('upload', error, true);
    const adopted = await adoptIfOurs(plan, file, key).catch(() => undefined);
    if (adopted === undefined) throw new SendFailure('upload', error, true);
    if (adopted === false) throw new SendFailure('upload', error, leftOpen);
    written.failed.pop();
    record(written, key, adopted.written.checksum);
    return adopted;
  }
}

/**
 * True when the failure itself proves the write stored nothing: its code says
 * so, or the driver marks every write that may have stored the object
 * (`marksUncertainWrites`) and this one is not marked. A refused connection
 * during an outage is then a plain failure the worker retries on its
 * schedule, not an uncertain upload left for recovery.
 */
function provedNothingStored(driver: StorageDriver, error: StorageError): boolean {
  if (NOTHING_STORED.has(error.code)) return true;
  return driver.capabilities.marksUncertainWrites === true && error.details?.uncertain !== true;
}

/** An "only if absent" write found the key taken: adopt, write once more, or refuse (see taken-key.ts). */
async function takenKey(
  plan: SendPlan,
  file: JournalFile,
  key: string,
  written: Written,
  again: boolean,
): Promise<SentFile> {
  let taken: TakenKey;
  try {
    taken = await settleTakenKey(plan, file, key);
  } catch (cause) {
    written.failed.push(key);
    throw new SendFailure('upload', asStorageError(cause, key), true);
  }
  if (taken.kind === 'refused') throw new SendFailure('upload', taken.error, false);
  if (taken.kind === 'adopt') {
    if (taken.ours) record(written, key, taken.sent.written.checksum);
    else written.checks.push(taken.sent.written.checksum);
    return taken.sent;
  }
  if (taken.kind === 'free' && !again) return await writeOne(plan, file, key, written, true);
  throw new SendFailure('upload', keyTakenByOther(key), false);
}

function record(written: Written, key: string, checksum: WriteResult['checksum']): void {
  written.stored.push(key);
  written.checks.push(checksum);
}

/**
 * After a failed write: is the object at `key` this attempt's own, complete
 * and correct? Returns the adopted file, false when it is not (anything of
 * ours there is left for `cleanedUp`), and throws when the backend cannot say.
 */
async function adoptIfOurs(plan: SendPlan, file: JournalFile, key: string): Promise<SentFile | false> {
  let attempt: string | undefined;
  let size: number;
  try {
    const stat = await plan.driver.stat(key);
    attempt = stat.metadata[ATTEMPT_METADATA_KEY];
    size = stat.size;
  } catch (error) {
    if (isStorageError(error, ErrorCode.NotFound)) return false;
    throw error;
  }
  if (attempt !== plan.attemptId || size !== file.opened.size) return false;
  const sha256 = await sha256Stream(await plan.driver.read(key));
  const expected = await sha256Stream(file.opened.handle.createReadStream({ start: 0, autoClose: false }));
  if (sha256 !== expected) return false;
  plan.logger.info({ backend: plan.backend, key }, 'an upload whose answer was lost had stored the bytes; adopted');
  return { key, size, sha256, written: { key, size, etag: undefined, checksum: 'sha256' } };
}

/**
 * Removes the objects this attempt wrote (only those carrying its id; through
 * `plan.removeWritten` when given), then returns the failure to throw.
 */
async function cleanedUp(plan: SendPlan, written: Written, failure: SendFailure): Promise<SendFailure> {
  let uncertain = failure.uncertain;
  const left = (key: string, error: unknown) => {
    uncertain = true;
    plan.logger.warn(
      { backend: plan.backend, key, error: errorFacts(error) },
      'could not remove an object a failed offload wrote; recovery will',
    );
  };
  const ours = [...written.stored];
  for (const key of written.failed) {
    try {
      if ((await plan.driver.stat(key)).metadata[ATTEMPT_METADATA_KEY] === plan.attemptId) ours.push(key);
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) left(key, error);
    }
  }
  if (ours.length > 0) {
    try {
      const removed = await (plan.removeWritten ?? ((keys) => plan.driver.deleteMany(keys)))(ours);
      for (const { key, error } of removed.failed) left(key, error);
    } catch (error) {
      left(ours[0] as string, error);
    }
  }
  return uncertain === failure.uncertain ? failure : new SendFailure(failure.stage, failure.error, uncertain);
}
