import type {
  CatalogJob,
  ClaimRequest,
  JobKind,
  KeptCopy,
  NewResultRecord,
  ResultIntent,
  ResultRecord,
} from './types.js';

/**
 * The record `insert` stores for `input`: its own copies of the files and
 * metadata, attempts 0 unless given, version 1, created and updated at
 * `input.now` (default now). Shared by every Catalog implementation.
 */
export function recordToInsert(input: NewResultRecord, id: string): ResultRecord {
  const now = input.now ?? Date.now();
  return {
    id,
    path: input.path,
    state: input.state,
    targetId: input.targetId,
    key: input.key,
    location: input.location,
    files: input.files.map((file) => ({ ...file })),
    metadata: { ...(input.metadata ?? {}) },
    localCopy: input.localCopy,
    keptCopies: copyKept(input.keptCopies ?? []),
    attempts: input.attempts ?? 0,
    lastError: input.lastError,
    dueAt: input.dueAt,
    intent: input.intent,
    migrationId: input.migrationId,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The intent a claim gives `current`: held by the request's owner from `now`
 * for `leaseMs`. When `current` carries an abandoned intent, it goes along as
 * `previous`; when that abandoned intent was itself a recovery, the intent it
 * was recovering goes along instead, so a recovery that dies is recovered in turn.
 */
export function claimedIntent(
  current: ResultRecord,
  request: ClaimRequest,
  attemptId: string,
  now: number,
): ResultIntent {
  const { previous: recovering, ...abandoned } = current.intent ?? {};
  return {
    kind: request.kind,
    attemptId,
    owner: request.owner,
    startedAt: now,
    leaseUntil: now + request.leaseMs,
    ...(current.intent
      ? { previous: current.intent.kind === 'recover' && recovering ? recovering : (abandoned as ResultIntent) }
      : {}),
  };
}

/** The job `createJob` stores for `input`: queued, no progress, version 1. Shared by every Catalog implementation. */
export function jobToCreate(
  input: { readonly kind: JobKind; readonly params: Readonly<Record<string, unknown>>; readonly now?: number },
  id: string,
): CatalogJob {
  const now = input.now ?? Date.now();
  return {
    id,
    kind: input.kind,
    state: 'queued',
    params: { ...input.params },
    progress: {},
    owner: undefined,
    leaseUntil: undefined,
    lastError: undefined,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** Own copies of `kept`, ordered by target id (the order every catalog reads them back in). */
export function copyKept(kept: readonly KeptCopy[]): KeptCopy[] {
  return kept
    .map((copy) => ({ targetId: copy.targetId, keys: [...copy.keys] }))
    .sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
}
