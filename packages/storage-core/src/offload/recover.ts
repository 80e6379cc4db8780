/**
 * Recovery: resolving the intents that a dead or hung process left behind, so
 * the catalog tells the truth again. An intent is abandoned when its lease ran
 * out, or at once when its owner was a process on this host that no longer
 * runs. For an abandoned offload the backend is asked what the attempt left:
 * when every file there carries the attempt's id and reads back with the
 * local file's SHA-256, and no other result serves it, the result is adopted
 * as offloaded; otherwise what the attempt wrote (but no object another result
 * adopted since) is removed and the result is due to be sent again. A backend
 * that cannot answer keeps the intent for a later round. Multipart uploads
 * the attempt left open at its keys are aborted then, not a day later by the
 * sweep's age rule. Local files are touched only to finish a delete-local a
 * dead process began (a cleanup intent, written after the commit, naming the
 * verified files by identity).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeUnlessAdopted } from '../catalog/removal-claims.js';
import type { Catalog, ResultIntent, ResultRecord } from '../catalog/types.js';
import { keysNoOtherServes } from '../catalog/unserved-keys.js';
import { markDeleted, removeEveryCopy } from '../delete-result.js';
import { asStorageError, ErrorCode, isStorageError } from '../errors.js';
import { fileIdentityOf, sameFileIdentity } from '../file-source.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import { removeCopies } from '../migrate/move-result.js';
import type { StorageDriver } from '../types.js';
import { ownerIsDead } from './dead-owner.js';
import { sha256File, sha256Stream } from './hash-file.js';
import { abortLeftUploads } from './left-uploads.js';
import { ATTEMPT_METADATA_KEY } from './send-file.js';
import type { TargetResolver } from './targets.js';

/** What recovery needs. */
export interface RecoveryContext {
  readonly catalog: Catalog;
  readonly targets: TargetResolver;
  readonly owner: string;
  /** This process's host as owners name it (`hostId`, else the OS host name). */
  readonly host: string;
  readonly leaseMs: number;
  readonly resultsRoot: string;
  readonly logger: Logger;
}

/** What a recovery round did. */
export interface RecoveryReport {
  /** Results whose abandoned upload had stored every file correctly: now offloaded. */
  readonly adopted: number;
  /** Results sent back to pending (what the attempt wrote was removed). */
  readonly requeued: number;
  /** Deletes that were interrupted, now finished. */
  readonly deletesFinished: number;
  /** Removals of copies no record points to (a migration's source copies) that were interrupted, now finished. */
  readonly cleanupsFinished: number;
  /** Intents left for a later round because the backend could not answer. */
  readonly deferred: number;
}

const BATCH = 50;

/** Resolves every abandoned intent it can now. */
export async function recoverAbandoned(context: RecoveryContext): Promise<RecoveryReport> {
  const report = { adopted: 0, requeued: 0, deletesFinished: 0, cleanupsFinished: 0, deferred: 0 };
  await takeOverDeadOwners(context);
  for (;;) {
    const claimed = await context.catalog.claim({
      select: { expired: true },
      kind: 'recover',
      owner: context.owner,
      leaseMs: context.leaseMs,
      limit: BATCH,
    });
    for (const record of claimed) report[await recoverOne(context, record)]++;
    if (claimed.length < BATCH) return report;
  }
}

/**
 * Intents held by processes of this host that are gone are abandoned now,
 * not when their lease runs out: their lease is ended so the claim below takes them.
 */
async function takeOverDeadOwners(context: RecoveryContext): Promise<void> {
  const now = Date.now();
  for await (const record of context.catalog.list({ hasIntent: true })) {
    const intent = record.intent as ResultIntent;
    if (intent.leaseUntil <= now || !ownerIsDead(intent.owner, context.host)) continue;
    await context.catalog.update(record.id, record.version, { intent: { ...intent, leaseUntil: now } });
  }
}

async function recoverOne(context: RecoveryContext, record: ResultRecord): Promise<keyof RecoveryReport> {
  const mine = record.intent as ResultIntent;
  const abandoned = mine.previous;
  try {
    if (abandoned?.kind === 'offload' && abandoned.targetId && abandoned.keys) {
      return await recoverOffload(context, record, abandoned as ResultIntent & { targetId: string; keys: string[] });
    }
    if (abandoned?.kind === 'migrate') {
      await undoMigrationCopy(context, record, abandoned);
      return 'requeued';
    }
    if (abandoned?.kind === 'cleanup') {
      await removeCopies(context, record.id, abandoned);
      await context.catalog.update(record.id, record.version, { intent: null });
      return 'cleanupsFinished';
    }
    if (abandoned?.kind === 'delete') {
      // A delete is finished, never undone: some copies may already be gone.
      await removeEveryCopy(context.targets, record, context.resultsRoot, mine.attemptId, context.catalog);
      await markDeleted(context.catalog, record);
      return 'deletesFinished';
    }
    // Nothing of it reached a backend that recovery can tell: clear it, and let the worker send the result again.
    await requeue(context, record);
    return 'requeued';
  } catch (error) {
    context.logger.warn(
      { key: record.path, error: errorFacts(error) },
      'recovery could not resolve an abandoned intent yet',
    );
    await context.catalog
      .update(record.id, record.version, {
        intent: { ...(abandoned ?? mine), leaseUntil: Date.now() + context.leaseMs },
      })
      .catch(() => undefined);
    return 'deferred';
  }
}

async function recoverOffload(
  context: RecoveryContext,
  record: ResultRecord,
  abandoned: ResultIntent & { targetId: string; keys: readonly string[] },
): Promise<keyof RecoveryReport> {
  const { backend, driver } = context.targets.open(abandoned.targetId);
  const found = await Promise.all(
    record.files.map(async (file, index) => {
      const key = abandoned.keys[index] ?? file.key;
      try {
        const stored = await driver.stat(key);
        return { key, ours: stored.metadata[ATTEMPT_METADATA_KEY] === abandoned.attemptId, size: stored.size };
      } catch (error) {
        if (isStorageError(error, ErrorCode.NotFound)) return { key, ours: false, size: -1 };
        throw error;
      }
    }),
  );
  // An object another result adopted since (offload/taken-key.ts) is that result's now, though it carries this
  // attempt's id: adopting it too would have two records serve one key, and deleting either break the other.
  const unserved = await keysNoOtherServes(
    context.catalog,
    record.id,
    abandoned.targetId,
    found.map((entry) => entry.key),
  );
  for (const entry of found) entry.ours &&= unserved.includes(entry.key);
  const adoptable = await everyFileProven(context, record, found, driver);
  await abortLeftUploads(context.logger, driver, abandoned.keys);
  if (adoptable) {
    const committed = await context.catalog.update(
      record.id,
      record.version,
      {
        state: 'offloaded',
        targetId: abandoned.targetId,
        files: record.files.map((file, index) => ({
          ...file,
          key: found[index]?.key ?? file.key,
          sha256: adoptable[index],
        })),
        attempts: 0,
        lastError: null,
        dueAt: null,
        intent: null,
        // The adopted target serves the result now; a copy kept there was written over.
        keptCopies: record.keptCopies.filter((copy) => copy.targetId !== abandoned.targetId),
      },
      { addLocations: [formatLocation(backend, found[0]?.key ?? record.key)] },
    );
    if (committed) {
      context.logger.info(
        { backend, key: record.path },
        'recovery adopted an upload whose process died after storing it',
      );
      return 'adopted';
    }
    return 'deferred';
  }
  const ours = found.filter((entry) => entry.ours).map((entry) => entry.key);
  // Not one another result adopted meanwhile (catalog/removal-claims.ts).
  const removed = await removeUnlessAdopted(context.catalog, driver, {
    targetId: abandoned.targetId,
    keys: ours,
    recordId: record.id,
  });
  if (removed.failed.length > 0) throw asStorageError(removed.failed[0]?.error);
  await requeue(context, record);
  return 'requeued';
}

/**
 * The SHA-256 of every file when each one stored carries the attempt's id,
 * has the local file's size and reads back with the local file's SHA-256
 * (the local file itself being the one the attempt opened); else undefined.
 */
async function everyFileProven(
  context: RecoveryContext,
  record: ResultRecord,
  found: ReadonlyArray<{ key: string; ours: boolean; size: number }>,
  driver: StorageDriver,
): Promise<string[] | undefined> {
  const hashes: string[] = [];
  for (const [index, file] of record.files.entries()) {
    const entry = found[index];
    if (!entry?.ours || entry.size !== file.size || !file.identity) return undefined;
    const local = join(context.resultsRoot, file.path);
    try {
      if (!sameFileIdentity(fileIdentityOf(await stat(local)), file.identity)) return undefined;
    } catch {
      return undefined;
    }
    const [remote, expected] = await Promise.all([sha256Stream(await driver.read(entry.key)), sha256File(local)]);
    if (remote !== expected) return undefined;
    hashes.push(expected);
  }
  return hashes;
}

/**
 * An abandoned migration copy is undone, never adopted: the objects it wrote at
 * the destination (those carrying its attempt id) are removed, and the record,
 * still queued for its migration, is claimed again when the migration runs.
 */
async function undoMigrationCopy(
  context: RecoveryContext,
  record: ResultRecord,
  abandoned: ResultIntent,
): Promise<void> {
  if (abandoned.targetId && abandoned.keys) {
    const { driver } = context.targets.open(abandoned.targetId);
    await abortLeftUploads(context.logger, driver, abandoned.keys);
    const ours: string[] = [];
    for (const key of abandoned.keys) {
      try {
        if ((await driver.stat(key)).metadata[ATTEMPT_METADATA_KEY] === abandoned.attemptId) ours.push(key);
      } catch (error) {
        if (!isStorageError(error, ErrorCode.NotFound)) throw error;
      }
    }
    const targetId = abandoned.targetId;
    const removed = await removeUnlessAdopted(context.catalog, driver, { targetId, keys: ours, recordId: record.id });
    if (removed.failed.length > 0) throw asStorageError(removed.failed[0]?.error);
  }
  await context.catalog.update(record.id, record.version, { intent: null });
}

async function requeue(context: RecoveryContext, record: ResultRecord): Promise<void> {
  await context.catalog.update(record.id, record.version, {
    state: record.state === 'offloaded' ? 'offloaded' : 'pending',
    dueAt: Date.now(),
    intent: null,
  });
}
