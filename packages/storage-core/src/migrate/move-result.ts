/**
 * Moving one claimed result to the migration's destination: every file is
 * streamed from where the record says it is (no temp file, memory bounded),
 * hashed on the way and verified on the destination (size, the SHA-256 the
 * catalog holds, and the destination's own checksum or a read-back); then the
 * record switches to the destination in one commit; only then, when asked,
 * the source copies are deleted. A failure removes what this attempt wrote and
 * leaves the record where it was.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { removeUnlessAdopted } from '../catalog/removal-claims.js';
import type { Catalog, ResultFile, ResultIntent, ResultRecord } from '../catalog/types.js';
import { LOCAL_TARGET_ID } from '../catalog/types.js';
import { keysNoOtherServes } from '../catalog/unserved-keys.js';
import { asStorageError, ErrorCode, isStorageError, StorageError } from '../errors.js';
import { fileIdentityOf, sameFileIdentity } from '../file-source.js';
import { formatLocation } from '../location.js';
import type { Logger } from '../logger.js';
import { removeVerifiedFile } from '../offload/local-removal.js';
import { openResultFile } from '../offload/result-file.js';
import { ATTEMPT_METADATA_KEY, SHA256_METADATA_KEY } from '../offload/send-file.js';
import { removeUnserved } from '../offload/stale-copies.js';
import type { TargetResolver } from '../offload/targets.js';
import { verifyStored } from '../offload/verify.js';
import type { StorageDriver } from '../types.js';
import { keptAfterMove } from './kept-after-move.js';
import type { MigrationPlan } from './plan.js';
import type { ByteRateLimit } from './throttle.js';

/** How long the cleanup after a switch may take before recovery takes it over. */
const CLEANUP_LEASE_MS = 60_000;

/** What moving a result needs. */
export interface MoveContext {
  readonly catalog: Catalog;
  readonly targets: TargetResolver;
  readonly logger: Logger;
  readonly resultsRoot: string;
  readonly limit: ByteRateLimit | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A moved result: where it was, where it is, and the bytes moved. */
export interface MovedResult {
  readonly record: ResultRecord;
  readonly from: { readonly target: string; readonly location: string };
  readonly to: { readonly target: string; readonly location: string };
  readonly bytes: number;
  /** Deleting the source copies failed after the switch: they are left for reconcile. */
  readonly sourceDeleteError: StorageError | undefined;
}

/** Moves `record` (claimed for this migration, its intent `attemptId`) to the plan's destination. */
export async function moveResult(
  context: MoveContext,
  plan: MigrationPlan,
  record: ResultRecord,
): Promise<MovedResult> {
  const attemptId = record.intent?.attemptId as string;
  const source = context.targets.open(record.targetId);
  const toLocal = plan.toTarget === LOCAL_TARGET_ID;
  const keys = record.files.map((file) => (toLocal ? file.path : file.key));
  const held = await context.catalog.update(record.id, record.version, {
    intent: { ...(record.intent as NonNullable<ResultRecord['intent']>), targetId: plan.toTarget, key: keys[0], keys },
  });
  if (!held) throw new StorageError(ErrorCode.PreconditionFailed, `"${record.path}" changed while its move began`);
  if (!toLocal) await refuseServedKeys(context.catalog, plan.toTarget, held);
  const written: string[] = [];
  const files: ResultFile[] = [];
  try {
    for (const [index, file] of held.files.entries()) {
      const key = keys[index] as string;
      const moved = await moveFile(context, source.driver, plan, held, file, key, attemptId, written);
      files.push(moved);
    }
  } catch (error) {
    await removeWritten(context.catalog, plan, { keys: written, attemptId, recordId: record.id });
    throw asStorageError(error, record.path);
  }
  // With deleteSource the switch itself records the cleanup of the source copies, so a crash
  // right after the switch leaves an intent that recovery finishes instead of a forgotten copy.
  const cleanup = plan.deleteSource ? cleanupIntent(held, attemptId) : null;
  const kept = keptAfterMove(held, plan, keys);
  const committed = await commitMove(
    () =>
      context.catalog.update(
        held.id,
        held.version,
        {
          state: toLocal ? 'local' : 'offloaded',
          targetId: plan.toTarget,
          files,
          localCopy: toLocal || (held.localCopy && !(plan.deleteSource && held.targetId === LOCAL_TARGET_ID)),
          keptCopies: kept.keptCopies,
          intent: cleanup,
          migrationId: null,
          lastError: null,
        },
        { addLocations: [formatLocation(plan.toBackend, keys[0] as string)] },
      ),
    () => removeWritten(context.catalog, plan, { keys: written, attemptId, recordId: record.id }),
  );
  if (!committed) {
    await removeWritten(context.catalog, plan, { keys: written, attemptId, recordId: record.id });
    throw new StorageError(ErrorCode.PreconditionFailed, `"${record.path}" changed while it was being moved`);
  }
  if (!toLocal) {
    await removeUnserved(context, record.id, plan.toTarget, kept.staleOnDestination, 'a copy kept on the destination');
  }
  let sourceDeleteError: StorageError | undefined;
  if (cleanup) {
    sourceDeleteError = await removeCopies(context, record.id, cleanup).then(
      () => undefined,
      (error: unknown) => asStorageError(error, record.path),
    );
    // A failed cleanup keeps its intent, expired, so recovery retries it.
    await context.catalog
      .update(committed.id, committed.version, {
        intent: sourceDeleteError ? { ...cleanup, leaseUntil: Date.now() } : null,
      })
      .catch(() => undefined);
  }
  return {
    sourceDeleteError,
    record: committed,
    from: { target: held.targetId, location: formatLocation(source.backend, held.key) },
    to: { target: plan.toTarget, location: formatLocation(plan.toBackend, keys[0] as string) },
    bytes: files.reduce((sum, file) => sum + file.size, 0),
  };
}

async function moveFile(
  context: MoveContext,
  from: StorageDriver,
  plan: MigrationPlan,
  record: ResultRecord,
  file: ResultFile,
  key: string,
  attemptId: string,
  written: string[],
): Promise<ResultFile> {
  const toLocal = plan.toTarget === LOCAL_TARGET_ID;
  // A local copy that is still the verified file is already where a download back would put it.
  if (toLocal && record.localCopy && file.identity && (await stillThere(context.resultsRoot, file))) {
    return { ...file, key: file.path };
  }
  const { body, close } = await openSource(context, from, record, file);
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  body.on('error', (error) => counted.destroy(error));
  const stream = context.limit ? body.pipe(context.limit.stream()).pipe(counted) : body.pipe(counted);
  const sha256 = file.sha256 ?? (await sha256Of(context, from, record, file));
  let result: Awaited<ReturnType<StorageDriver['write']>>;
  try {
    written.push(key);
    result = await plan.toDriver.write(key, stream, {
      contentLength: file.size,
      ...(file.contentType ? { contentType: file.contentType } : {}),
      metadata: { ...record.metadata, [SHA256_METADATA_KEY]: sha256, [ATTEMPT_METADATA_KEY]: attemptId },
      ...(toLocal ? { ifNotExists: true } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } finally {
    body.destroy();
    await close();
  }
  const computed = hash.digest('hex');
  if (bytes !== file.size || computed !== sha256) {
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `the source copy of "${file.path}" does not match the catalog (${bytes} bytes, SHA-256 ${computed.slice(0, 12)}…); it was not moved`,
      { key: file.path },
    );
  }
  await verifyStored(plan.toDriver, { key, size: file.size, sha256, written: result });
  // The identity names the local copy: the downloaded file, or the results disk's file when it stays
  // (a local source kept, or the copy a remote result still has there: with it dropped, an offload of
  // the unchanged file would send it again and a download back would refuse to replace it).
  const keepsLocal = record.localCopy && !(plan.deleteSource && record.targetId === LOCAL_TARGET_ID);
  const identity = toLocal
    ? fileIdentityOf(await stat(join(context.resultsRoot, file.path)))
    : keepsLocal
      ? file.identity
      : undefined;
  const { identity: _old, ...rest } = file;
  return { ...rest, key, sha256, ...(identity ? { identity } : {}) };
}

/** The source bytes: the results disk file (proven unchanged) or the object where the record says it is. */
async function openSource(
  context: MoveContext,
  from: StorageDriver,
  record: ResultRecord,
  file: ResultFile,
): Promise<{ body: Readable; close: () => Promise<void> }> {
  if (record.targetId !== LOCAL_TARGET_ID) return { body: await from.read(file.key), close: async () => undefined };
  const opened = await openResultFile(context.resultsRoot, file.path);
  if (file.identity && !sameFileIdentity(opened.identity, file.identity)) {
    await opened.handle.close();
    throw new StorageError(
      ErrorCode.ChangedDuringOffload,
      `"${file.path}" on the results disk is not the file the catalog recorded; it was not moved`,
      { key: file.path },
    );
  }
  return {
    body: opened.handle.createReadStream({ start: 0, autoClose: false }),
    close: () => opened.handle.close(),
  };
}

// A local result never offloaded has no SHA-256 yet: hash the file first, so the destination carries it.
async function sha256Of(
  context: MoveContext,
  from: StorageDriver,
  record: ResultRecord,
  file: ResultFile,
): Promise<string> {
  const { body, close } = await openSource(context, from, record, file);
  try {
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await close();
  }
}

async function stillThere(root: string, file: ResultFile): Promise<boolean> {
  try {
    return sameFileIdentity(
      fileIdentityOf(await stat(join(root, file.path))),
      file.identity as NonNullable<ResultFile['identity']>,
    );
  } catch {
    return false;
  }
}

/**
 * A key that already serves another result at the destination (two results
 * with the same bytes under a content-addressed template) is not written
 * over: a key serves one result, so this one stays where it is. The commit
 * would refuse it anyway; this refuses before any byte is sent.
 */
async function refuseServedKeys(catalog: Catalog, targetId: string, record: ResultRecord): Promise<void> {
  const keys = record.files.map((file) => file.key);
  const free = new Set(await keysNoOtherServes(catalog, record.id, targetId, keys));
  const served = keys.find((key) => !free.has(key));
  if (served === undefined) return;
  throw new StorageError(
    ErrorCode.Misconfigured,
    `"${record.path}" was not moved: key "${served}" in ${targetId} already serves another result with these very bytes; a key serves one result, so this one stays where it is`,
    { key: record.path },
  );
}

/**
 * The move's commit. One the catalog refused (PRECONDITION_FAILED: another
 * result holds a key or the location there) committed nothing, so what the
 * move wrote is removed before the refusal is thrown; any other failure may
 * have committed all the same, and recovery settles it.
 */
async function commitMove<T>(commit: () => Promise<T>, removeWrites: () => Promise<void>): Promise<T> {
  try {
    return await commit();
  } catch (error) {
    if (isStorageError(error, ErrorCode.PreconditionFailed)) await removeWrites().catch(() => undefined);
    throw error;
  }
}

/**
 * Removes what a failed move wrote at the destination: only objects carrying
 * this attempt's id, and not one an offload adopted meanwhile (catalog/removal-claims.ts).
 */
async function removeWritten(
  catalog: Catalog,
  plan: Pick<MigrationPlan, 'toDriver' | 'toTarget'>,
  attempt: { readonly keys: readonly string[]; readonly attemptId: string; readonly recordId: string },
): Promise<void> {
  const ours: string[] = [];
  for (const key of attempt.keys) {
    try {
      if ((await plan.toDriver.stat(key)).metadata[ATTEMPT_METADATA_KEY] === attempt.attemptId) ours.push(key);
    } catch (error) {
      if (!isStorageError(error, ErrorCode.NotFound)) throw error;
    }
  }
  const result = await removeUnlessAdopted(catalog, plan.toDriver, {
    targetId: plan.toTarget,
    keys: ours,
    recordId: attempt.recordId,
  });
  if (result.failed.length > 0) throw result.failed[0]?.error;
}

/** The intent to remove a moved result's source copies: where they are, and (on local disk) which files they are. */
function cleanupIntent(record: ResultRecord, attemptId: string): ResultIntent {
  const now = Date.now();
  return {
    kind: 'cleanup',
    attemptId,
    owner: (record.intent as ResultIntent).owner,
    startedAt: now,
    leaseUntil: now + CLEANUP_LEASE_MS,
    targetId: record.targetId,
    keys: record.files.map((file) => (record.targetId === LOCAL_TARGET_ID ? file.path : file.key)),
    ...(record.targetId === LOCAL_TARGET_ID
      ? { identities: record.files.map((file) => file.identity).filter((identity) => identity !== undefined) }
      : {}),
  };
}

/**
 * Removes the copies a cleanup intent names; on local disk only files that are
 * still the verified ones. Idempotent, so recovery can run it again.
 */
export async function removeCopies(
  context: { readonly catalog: Catalog; readonly targets: TargetResolver; readonly resultsRoot: string },
  recordId: string,
  cleanup: ResultIntent,
): Promise<void> {
  const keys = cleanup.keys ?? [];
  if (cleanup.targetId === LOCAL_TARGET_ID) {
    for (const [index, path] of keys.entries()) {
      const identity = cleanup.identities?.[index];
      if (identity)
        await removeVerifiedFile(context.resultsRoot, path, identity, cleanup.attemptId).catch(keepNewVersion);
    }
    return;
  }
  // The record serves these no more; one another record has adopted since, or is adopting, is that record's
  // (catalog/removal-claims.ts).
  const targetId = cleanup.targetId as string;
  const { driver } = context.targets.open(targetId);
  const result = await removeUnlessAdopted(context.catalog, driver, { targetId, keys, recordId });
  if (result.failed.length > 0) throw result.failed[0]?.error;
}

// A new version at the path is not the moved result's copy: it stays.
function keepNewVersion(error: unknown): void {
  if (!isStorageError(error, ErrorCode.ChangedDuringOffload)) throw error;
}
