import { ErrorCode, StorageError } from '../errors.js';
import { copyKept } from './new-record.js';
import type { CatalogJob, JobChanges, ResultChanges, ResultRecord } from './types.js';

/**
 * The record after `changes`, with its version bumped: a field left out keeps
 * its value, `null` clears an optional one, and the key follows the original
 * file (which must stay at the record's path). Shared by every Catalog implementation so they merge changes alike.
 */
export function applyChanges(current: ResultRecord, changes: ResultChanges, now: number): ResultRecord {
  const pick = <T>(value: T | null | undefined, old: T | undefined): T | undefined =>
    value === null ? undefined : value === undefined ? old : value;
  const files = (changes.files ?? current.files).map((file) => ({ ...file }));
  if (files[0]?.path !== current.path) {
    throw new StorageError(ErrorCode.InvalidInput, 'catalog change: files[0] must be the original, at the record path');
  }
  const targetId = changes.targetId ?? current.targetId;
  const keptCopies = changes.keptCopies ? copyKept(changes.keptCopies) : current.keptCopies;
  if (keptCopies.some((copy) => copy.targetId === targetId)) {
    // The record's own target serves the bytes: a copy there is the record's, not a kept one.
    throw new StorageError(
      ErrorCode.InvalidInput,
      `catalog change: keptCopies must not name the record's own target "${targetId}"`,
    );
  }
  return {
    ...current,
    state: changes.state ?? current.state,
    targetId,
    key: files[0]?.key ?? current.key,
    files,
    metadata: changes.metadata ? { ...changes.metadata } : current.metadata,
    localCopy: changes.localCopy ?? current.localCopy,
    keptCopies,
    attempts: changes.attempts ?? current.attempts,
    lastError: pick(changes.lastError, current.lastError),
    dueAt: pick(changes.dueAt, current.dueAt),
    intent: pick(changes.intent, current.intent),
    migrationId: pick(changes.migrationId, current.migrationId),
    version: current.version + 1,
    updatedAt: now,
  };
}

/** The job after `changes`, with its version bumped. Shared by every Catalog implementation. */
export function applyJobChanges(current: CatalogJob, changes: JobChanges, now: number): CatalogJob {
  const pick = <T>(value: T | null | undefined, old: T | undefined): T | undefined =>
    value === null ? undefined : value === undefined ? old : value;
  return {
    ...current,
    state: changes.state ?? current.state,
    progress: changes.progress ? { ...changes.progress } : current.progress,
    owner: pick(changes.owner, current.owner),
    leaseUntil: pick(changes.leaseUntil, current.leaseUntil),
    lastError: pick(changes.lastError, current.lastError),
    version: current.version + 1,
    updatedAt: now,
  };
}
