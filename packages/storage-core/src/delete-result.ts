/**
 * Deleting a result through its location: every copy Stowage made (the
 * original and its variants where they are stored, the copies a migration
 * kept at its source) and the local copies that
 * are still the verified files, then the record is marked deleted, so its
 * locations answer NOT_FOUND. The record is marked only after every remote
 * copy is gone: a failure throws and leaves the record as it was, never a
 * public object behind a "deleted" record.
 */
import { randomUUID } from 'node:crypto';
import { removeUnlessAdopted } from './catalog/removal-claims.js';
import type { Catalog, ResultRecord } from './catalog/types.js';
import { LOCAL_TARGET_ID } from './catalog/types.js';
import { asStorageError, ErrorCode, isStorageError, StorageError } from './errors.js';
import { countSkipped } from './migrate/job-progress.js';
import { ownerIsDead } from './offload/dead-owner.js';
import { removeVerifiedFile } from './offload/local-removal.js';
import type { TargetResolver } from './offload/targets.js';

/** Deletes the result `record` everywhere; `owner` holds it meanwhile. */
export async function deleteResult(
  catalog: Catalog,
  targets: TargetResolver,
  record: ResultRecord,
  options: { readonly owner: string; readonly leaseMs: number; readonly resultsRoot: string },
): Promise<void> {
  if (record.state === 'deleted') return;
  const now = Date.now();
  if (record.intent && record.intent.leaseUntil > now) {
    throw new StorageError(
      ErrorCode.PreconditionFailed,
      `"${record.path}" is being ${record.intent.kind === 'migrate' ? 'migrated' : 'offloaded'} right now; delete it again when that is done`,
      { key: record.path },
    );
  }
  const attemptId = randomUUID();
  const held = await catalog.update(record.id, record.version, {
    intent: { kind: 'delete', attemptId, owner: options.owner, startedAt: now, leaseUntil: now + options.leaseMs },
  });
  if (!held) throw changedMeanwhile(record);
  try {
    await removeEveryCopy(targets, held, options.resultsRoot, attemptId, catalog);
  } catch (error) {
    await catalog.update(held.id, held.version, { intent: null }).catch(() => undefined);
    throw asStorageError(error, record.path);
  }
  const deleted = await markDeleted(catalog, held);
  if (!deleted) throw changedMeanwhile(record);
}

/**
 * The record `location` resolves to, for deleting it. One whose intent is
 * abandoned (its lease ran out, or its owner was a process of `host` that is
 * gone) is settled by `recover` first: objects that attempt stored are named
 * by its intent alone. UNAVAILABLE, nothing changed, when recovery could not
 * settle it yet (it keeps the intent, leased again, while the backend does
 * not answer).
 */
export async function recordToDelete(
  catalog: Catalog,
  location: string,
  host: string,
  recover: () => Promise<unknown>,
): Promise<ResultRecord | undefined> {
  const record = await catalog.resolve(location);
  if (!record?.intent) return record;
  if (record.intent.leaseUntil > Date.now() && !ownerIsDead(record.intent.owner, host)) return record;
  const abandoned = record.intent.attemptId;
  await recover();
  const settled = await catalog.resolve(location);
  if (settled?.intent?.attemptId === abandoned) {
    throw new StorageError(
      ErrorCode.Unavailable,
      `"${record.path}": an upload that died holding it could not be settled yet (recovery could not reach its backend); nothing was deleted: delete it again later`,
      { key: record.path },
    );
  }
  return settled;
}

/**
 * Marks a result whose copies are gone deleted (compare-and-set on `record`'s
 * version). A result still queued for a migration is first counted skipped in
 * its job (as a claimed record that left its source is), then leaves the queue
 * in the commit that marks it deleted: no claim takes a deleted record, so one
 * left queued would keep its job running, and a `migrate()` waiting for it, for
 * ever. The count and the mark are two writes: a crash or a lost race between
 * them counts the result skipped once more when the delete is finished again.
 */
export async function markDeleted(catalog: Catalog, record: ResultRecord): Promise<ResultRecord | undefined> {
  if (record.migrationId) {
    const bytes = record.files.reduce((sum, file) => sum + file.size, 0);
    await countSkipped(catalog, record.migrationId, bytes).catch((error: unknown) => {
      if (!isStorageError(error, ErrorCode.NotFound)) throw error; // the job itself is gone: nothing to count
    });
  }
  return catalog.update(record.id, record.version, {
    state: 'deleted',
    localCopy: false,
    keptCopies: [],
    intent: null,
    ...(record.migrationId ? { migrationId: null } : {}),
  });
}

/**
 * Removes the result's stored files where its record says they are, the
 * copies it keeps in other targets (a migration's source copies), and its
 * local copies that are still the verified files. Idempotent: what is already
 * gone counts as removed. Throws when a copy could not be removed, and
 * (PRECONDITION_FAILED) when another record's intent names a kept copy.
 */
export async function removeEveryCopy(
  targets: TargetResolver,
  record: ResultRecord,
  resultsRoot: string,
  tag: string,
  catalog: Catalog,
): Promise<void> {
  // Kept copies first: a delete refused because an offload in flight may adopt one has not touched what the
  // result serves, so it still reads as before.
  for (const copy of record.keptCopies) {
    if (targets.wasForgotten(copy.targetId)) continue;
    const { driver } = targets.open(copy.targetId);
    const result = await removeUnlessAdopted(catalog, driver, { ...copy, recordId: record.id });
    if (result.failed.length > 0) throw result.failed[0]?.error;
    // Left in place, it would be a public object behind a deleted record if that offload does not record it.
    if (result.inFlight.length > 0) throw adoptedMeanwhile(record, result.inFlight[0] as string);
  }
  // A target an admin forgot (removeTarget with forgetResults) left its objects unknown to Stowage by choice.
  if (record.targetId !== LOCAL_TARGET_ID && !targets.wasForgotten(record.targetId)) {
    const { driver } = targets.open(record.targetId);
    const result = await driver.deleteMany(record.files.map((file) => file.key));
    if (result.failed.length > 0) throw result.failed[0]?.error;
  }
  if (!record.localCopy) return;
  for (const file of record.files) {
    if (file.identity) await removeIfStillOurs(resultsRoot, file.path, file.identity, tag);
    else if (record.targetId === LOCAL_TARGET_ID) await targets.open(LOCAL_TARGET_ID).driver.delete(file.path);
  }
}

// A new version at the path is another result's file now: it is not this result's to delete.
async function removeIfStillOurs(
  root: string,
  path: string,
  identity: NonNullable<ResultRecord['files'][number]['identity']>,
  tag: string,
): Promise<void> {
  try {
    await removeVerifiedFile(root, path, identity, tag);
  } catch (error) {
    if (!isStorageError(error, ErrorCode.ChangedDuringOffload)) throw error;
  }
}

function adoptedMeanwhile(record: ResultRecord, key: string): StorageError {
  return new StorageError(
    ErrorCode.PreconditionFailed,
    `"${record.path}": another result is being stored at key "${key}", a copy this one keeps, right now; the record was not marked deleted: delete it again`,
    { key: record.path },
  );
}

function changedMeanwhile(record: ResultRecord): StorageError {
  return new StorageError(
    ErrorCode.PreconditionFailed,
    `"${record.path}" changed while it was being deleted; delete it again`,
    { key: record.path },
  );
}
