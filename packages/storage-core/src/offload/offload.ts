/**
 * The offload protocol (see DESIGN.md, "Offload: the data-safety protocol"):
 * 1. local default → nothing to do; 2. stream the file to the active backend
 * under the same key; 3. verify: the size the driver reports and a fresh
 * stat must match the local file, and the bytes must be proven: by the
 * driver's own checksum (WriteResult.checksum 'md5', 'multipart-md5' or
 * 'sha256'), or, when the driver checked none, by reading the object back
 * (streamed) and comparing its SHA-256 with the local file's; 4. only then
 * report it offloaded and let the caller
 * record the location; 5. only after that, with delete-local on, remove the
 * local copy; 6. any storage failure leaves the result local, logged, emitted
 * and reported, never thrown.
 *
 * No retry layer here: drivers retry transient failures themselves and can
 * re-open `{ filePath }` bodies, so a second layer would multiply attempts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveContentType } from '../content-type.js';
import { asStorageError, ErrorCode, isStorageError, NotFoundError, StorageError } from '../errors.js';
import { emitSafely, type StorageEvents } from '../events.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import type { BackendRegistry } from '../registry/registry.js';
import type { StorageDriver, WriteResult } from '../types.js';
import { sha256File, sha256Stream } from './hash-file.js';
import { objectUrl } from './object-url.js';
import type { OffloadInput, OffloadOptions, OffloadOutcome, OffloadStage } from './types.js';
import { validateOffloadInput } from './validate-input.js';

/** The metadata field that carries the local file's SHA-256 for audits and verification. */
export const SHA256_METADATA_KEY = 'sha256';

/** What one offload needs from the storage it runs in. */
export interface OffloadContext {
  readonly registry: BackendRegistry;
  readonly logger: Logger;
  readonly events: StorageEvents;
  /** Gives up on one upload after this many milliseconds (TIMEOUT); undefined: the driver's own timeouts only. */
  readonly uploadTimeoutMs: number | undefined;
  /** Lifetime of presigned URLs in outcomes, in seconds. */
  readonly signedUrlExpiresIn: number;
  /**
   * Receives a driver write that was given up on (timeout or abort) but has not
   * settled yet, so the owner can wait for it before closing the drivers.
   */
  readonly linger?: (settling: Promise<unknown>) => void;
}

/**
 * How long a driver may take to wind down after its write was aborted (e.g. to
 * abort a multipart upload) before offload stops waiting and reports the result
 * local: the timeout and the caller's abort must bound how long offload blocks.
 */
export const ABORT_GRACE_MS = 1000;

/**
 * Offloads one result by the protocol above. Throws only for bad input (invalid
 * path, metadata, or a path with no file on the results disk), before any I/O
 * against a backend. Every storage failure comes back as a 'local' outcome.
 */
export async function offloadResult(
  context: OffloadContext,
  rawInput: OffloadInput,
  options: OffloadOptions = {},
): Promise<OffloadOutcome> {
  const input = validateOffloadInput(rawInput);
  const key = input.path;
  const local = context.registry.local;
  const filePath = join(local.root, key);
  const size = await resultFileSize(local.root, key);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);

  const stayLocal = async (
    backend: string,
    stage: OffloadStage | undefined,
    cause: unknown,
    extra: { sha256?: string } = {},
  ): Promise<OffloadOutcome> => {
    const error = cause === undefined ? undefined : asStorageError(cause, key);
    if (error && stage) {
      context.logger.warn(
        { backend, key, stage, error: errorFacts(error) },
        'offload failed; the result stays on local disk',
      );
      emitSafely(context.events, context.logger, 'offload:failed', {
        backend,
        key,
        stage,
        code: error.code,
        message: error.message,
        durationMs: elapsed(),
      });
    }
    const url = await safeUrl(context, local, 'local', key);
    return {
      status: 'local',
      backend: 'local',
      key,
      location: formatLocation('local', key),
      url: url.url,
      urlKind: url.kind,
      urlExpiresAt: url.expiresAt,
      size,
      sha256: extra.sha256,
      checksum: undefined,
      localDeleted: false,
      error,
      failedStage: error ? stage : undefined,
      localDeleteError: undefined,
      durationMs: elapsed(),
    };
  };

  const active = context.registry.active();
  if (active.fallback) {
    return stayLocal(
      active.fallback.from,
      'resolve',
      new StorageError(ErrorCode.Misconfigured, active.fallback.reason),
    );
  }
  if (active.name === 'local') return stayLocal('local', undefined, undefined);
  const { driver, name: backend } = active;

  let sha256: string;
  try {
    sha256 = await sha256File(filePath);
  } catch (error) {
    return stayLocal(backend, 'upload', error);
  }

  let written: WriteResult;
  const timeout = context.uploadTimeoutMs === undefined ? undefined : AbortSignal.timeout(context.uploadTimeoutMs);
  try {
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const writing = driver.write(
      key,
      { filePath },
      {
        contentType: resolveContentType(key, input.contentType),
        metadata: { ...input.metadata, [SHA256_METADATA_KEY]: sha256 },
        contentLength: size,
        signal,
      },
    );
    written = await settleWithin(writing, signal, (late) => {
      context.linger?.(
        late.then(
          () =>
            context.logger.warn(
              { backend, key },
              'an upload given up on finished later; the object is stored but its location was not recorded',
            ),
          (error: unknown) =>
            context.logger.info({ backend, key, error: errorFacts(error) }, 'an upload given up on has settled'),
        ),
      );
    });
  } catch (error) {
    // No remote delete here: drivers leave no partial object behind, and a complete one that landed
    // before a lost response holds these very bytes, while deleting the key could remove a copy an
    // earlier offload of the same path recorded.
    return stayLocal(backend, 'upload', uploadFailure(error, key, options.signal, timeout, context.uploadTimeoutMs), {
      sha256,
    });
  }

  try {
    await verify(driver, key, size, sha256, written);
  } catch (error) {
    if (isStorageError(error, ErrorCode.ChecksumMismatch)) {
      // The bytes there are wrong: never leave them where a later read could serve them.
      await driver.delete(key).catch((cleanup: unknown) => {
        context.logger.error(
          { backend, key, error: errorFacts(cleanup) },
          'could not delete a mismatching uploaded object; delete it by hand',
        );
      });
    }
    return stayLocal(backend, 'verify', error, { sha256 });
  }

  const url = await safeUrl(context, driver, backend, key);
  let outcome: OffloadOutcome = {
    status: 'offloaded',
    backend,
    key,
    location: formatLocation(backend, key),
    url: url.url,
    urlKind: url.kind,
    urlExpiresAt: url.expiresAt,
    size,
    sha256,
    checksum: written.checksum,
    localDeleted: false,
    error: undefined,
    failedStage: undefined,
    localDeleteError: undefined,
    durationMs: elapsed(),
  };

  if (options.onStored) {
    try {
      await options.onStored(outcome);
    } catch (error) {
      const recordError = new StorageError(
        ErrorCode.Unknown,
        `recording the location of "${key}" failed, so the local copy was kept: ${(error as Error)?.message ?? String(error)}`,
        { cause: error, key, details: { uploadedLocation: outcome.location } },
      );
      return stayLocal(backend, 'record', recordError, { sha256 });
    }
  }

  context.logger.info(
    { backend, key, location: outcome.location, size, checksum: written.checksum },
    'result offloaded and verified',
  );
  emitSafely(context.events, context.logger, 'offload:stored', {
    backend,
    key,
    location: outcome.location,
    size,
    checksum: written.checksum,
    durationMs: elapsed(),
  });

  if (options.deleteLocal ?? active.deleteLocal) {
    const localDeleteError = await removeLocalCopy(context, backend, outcome.location, key);
    outcome = localDeleteError ? { ...outcome, localDeleteError } : { ...outcome, localDeleted: true };
  }
  return { ...outcome, durationMs: elapsed() };
}

/**
 * Removes the results-disk copy of an offloaded, recorded result. Returns the
 * classified error when that fails: the result is then in both places, which
 * is safe, so it is reported rather than treated as a failed offload.
 */
async function removeLocalCopy(
  context: OffloadContext,
  backend: string,
  location: string,
  key: string,
): Promise<StorageError | undefined> {
  try {
    await context.registry.local.delete(key);
    emitSafely(context.events, context.logger, 'offload:local-deleted', { backend, key, location, ok: true });
    return undefined;
  } catch (error) {
    const classified = asStorageError(error, key);
    context.logger.warn(
      { backend, key, error: errorFacts(classified) },
      'result offloaded but its local copy could not be removed',
    );
    emitSafely(context.events, context.logger, 'offload:local-deleted', {
      backend,
      key,
      location,
      ok: false,
      code: classified.code,
    });
    return classified;
  }
}

/** Checksums a driver computes from the bytes it sent and compares with the backend's stored checksum. */
const DRIVER_VERIFIED: ReadonlySet<WriteResult['checksum']> = new Set(['md5', 'multipart-md5', 'sha256']);

/**
 * Proves the stored object holds the local file's bytes: sizes (reported and
 * from a fresh stat) must match, and the content must be proven either by the
 * driver's own checksum or, when it checked none, by streaming the object back
 * and comparing its SHA-256. The "sha256" metadata is only a cheap early
 * mismatch signal: it was written by us, so it proves nothing about the bytes.
 */
async function verify(
  driver: StorageDriver,
  key: string,
  size: number,
  sha256: string,
  written: WriteResult,
): Promise<void> {
  if (written.size !== size)
    throw mismatch(key, `the backend reported ${written.size} bytes written, the file has ${size}`);
  const remote = await driver.stat(key);
  if (remote.size !== size) throw mismatch(key, `the stored object has ${remote.size} bytes, the file has ${size}`);
  const stored = remote.metadata[SHA256_METADATA_KEY];
  if (stored !== undefined && stored !== sha256) {
    throw mismatch(key, 'the stored object carries a different SHA-256 than the local file');
  }
  if (DRIVER_VERIFIED.has(written.checksum)) return;
  const readBack = await sha256Stream(await driver.read(key));
  if (readBack !== sha256) {
    throw mismatch(key, 'the bytes read back from the backend have a different SHA-256 than the local file');
  }
}

/**
 * Awaits `writing`, but once `signal` fires waits at most ABORT_GRACE_MS more:
 * some drivers let requests in flight finish before they reject. A write still
 * pending then is handed to `onLate` and reported as aborted.
 */
async function settleWithin(
  writing: Promise<WriteResult>,
  signal: AbortSignal | undefined,
  onLate: (late: Promise<WriteResult>) => void,
): Promise<WriteResult> {
  if (!signal) return writing;
  let stopWaiting: (() => void) | undefined;
  const gaveUp = new Promise<'gave-up'>((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      grace = setTimeout(() => resolve('gave-up'), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    stopWaiting = () => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(grace);
    };
  });
  try {
    const first = await Promise.race([writing, gaveUp]);
    if (first !== 'gave-up') return first;
  } finally {
    stopWaiting?.();
  }
  onLate(writing);
  throw new StorageError(ErrorCode.Aborted, 'the upload did not stop within its grace period after being aborted');
}

/**
 * The error an upload failure is reported as: ABORTED when the caller's signal
 * fired, TIMEOUT when offload's own upload timeout did, else the driver's error.
 */
function uploadFailure(
  error: unknown,
  key: string,
  signal: AbortSignal | undefined,
  timeout: AbortSignal | undefined,
  timeoutMs: number | undefined,
): unknown {
  if (signal?.aborted) {
    if (isStorageError(error, ErrorCode.Aborted)) return error;
    return new StorageError(ErrorCode.Aborted, `upload of "${key}" was aborted by the caller`, { cause: error, key });
  }
  if (timeout?.aborted) {
    return new StorageError(ErrorCode.Timeout, `upload of "${key}" took longer than ${timeoutMs} ms`, {
      cause: error,
      key,
    });
  }
  return error;
}

function mismatch(key: string, detail: string): StorageError {
  return new StorageError(ErrorCode.ChecksumMismatch, `upload of "${key}" did not verify: ${detail}`, { key });
}

/** Size of the result file `key` on the results disk at `root`; NOT_FOUND when it is not a regular file there. */
export async function resultFileSize(root: string, key: string): Promise<number> {
  const filePath = join(root, key);
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new Error('not a regular file');
    return info.size;
  } catch (cause) {
    throw new NotFoundError(`offload input "${key}" is not a file on the results disk`, { cause, key });
  }
}

async function safeUrl(context: OffloadContext, driver: StorageDriver, backend: string, key: string) {
  try {
    return await objectUrl(driver, key, context.signedUrlExpiresIn);
  } catch (error) {
    context.logger.warn({ backend, key, error: errorFacts(error) }, 'could not build a URL for the result');
    return { url: undefined, kind: undefined, expiresAt: undefined };
  }
}
