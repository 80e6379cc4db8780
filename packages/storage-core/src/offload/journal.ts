/**
 * What offload writes to the catalog, and when: an intent before the first
 * byte goes out, then one commit with the outcome, before any local copy is
 * removed. A process killed in between leaves an intent that recovery
 * resolves (see recover.ts). Without a catalog every step is a no-op and
 * locations resolve through the provider's current settings.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_TARGET_ID, type ResultFile, type ResultIntent, type ResultRecord } from '../catalog/types.js';
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import { formatLocation } from '../location.js';
import { errorFacts } from '../logger.js';
import { localFiles, pinnedKeys, sameFiles } from './journal-files.js';
import type {
  AbandonedAttempt,
  Begin,
  BeginPlan,
  JournalContext,
  JournalFile,
  StoredFile,
  Ticket,
} from './journal-types.js';
import { keptAfterOffload } from './kept-on-offload.js';
import { nextAttemptAt, stateAfterFailure } from './retry-schedule.js';

/** The catalog side of one offload. */
export class OffloadJournal {
  readonly #context: JournalContext;

  constructor(context: JournalContext) {
    this.#context = context;
  }

  /**
   * Records the intent to send `files` to `plan.targetId` (one durable commit),
   * unless another attempt holds the result or the same file is already offloaded.
   */
  async begin(files: readonly JournalFile[], plan: BeginPlan): Promise<Begin> {
    const { catalog } = this.#context;
    const { targetId } = plan;
    const { attemptId } = plan;
    const now = Date.now();
    if (!catalog) {
      const keys = plan.keysFor({ id: undefined, createdAt: now });
      return { kind: 'begun', ticket: this.#ticket(undefined, 0, attemptId, keys, undefined) };
    }
    const original = files[0] as JournalFile;
    const held = { kind: 'offload', attemptId, owner: this.#context.owner, startedAt: now } as const;
    const intentFor = (keys: readonly string[]): ResultIntent => ({
      ...held,
      leaseUntil: now + this.#context.leaseMs,
      targetId,
      key: keys[0] as string,
      keys,
    });
    for (let tries = 0; tries < 3; tries++) {
      const record = await catalog.findByPath(original.opened.path);
      if (!record) {
        const keys = plan.keysNeedRecordId ? undefined : plan.keysFor({ id: undefined, createdAt: now });
        try {
          const inserted = await catalog.insert({
            path: original.opened.path,
            state: 'pending',
            targetId: LOCAL_TARGET_ID,
            key: original.opened.path,
            location: formatLocation(LOCAL_TARGET_ID, original.opened.path),
            files: localFiles(files),
            metadata: plan.metadata,
            localCopy: true,
            // Keys from the record's id are named once it has one; until then the intent names no target,
            // which recovery reads as "nothing was sent".
            intent: keys ? intentFor(keys) : { ...held, leaseUntil: now + this.#context.leaseMs },
            now,
          });
          if (keys)
            return { kind: 'begun', ticket: this.#ticket(inserted.id, inserted.version, attemptId, keys, undefined) };
          const named = plan.keysFor(inserted);
          const updated = await catalog.update(inserted.id, inserted.version, { intent: intentFor(named) });
          if (!updated) continue;
          return { kind: 'begun', ticket: this.#ticket(updated.id, updated.version, attemptId, named, undefined) };
        } catch (error) {
          if ((error as StorageError).code === ErrorCode.PreconditionFailed) continue; // another offload inserted it first
          throw error;
        }
      }
      const heldByOther = record.intent && record.intent.leaseUntil > now && record.intent.attemptId !== attemptId;
      if (heldByOther) return { kind: 'busy', record };
      const sameFile = sameFiles(record, files);
      if (record.state === 'offloaded' && sameFile) return { kind: 'done', record };
      // A new version (or a first offload): until it is verified elsewhere, it serves from local disk.
      const replacesRemote = !sameFile && record.targetId !== LOCAL_TARGET_ID && record.state !== 'deleted';
      const stale = replacesRemote
        ? { targetId: record.targetId, keys: record.files.map((file) => file.key) }
        : undefined;
      const keys = pinnedKeys(record, files, targetId) ?? plan.keysFor(record);
      const updated = await catalog.update(record.id, record.version, {
        state: record.state === 'deleted' || !sameFile ? 'pending' : record.state,
        targetId: LOCAL_TARGET_ID,
        files: localFiles(files),
        metadata: plan.metadata,
        localCopy: true,
        intent: intentFor(keys),
      });
      const abandoned: AbandonedAttempt | undefined =
        record.intent?.kind === 'offload'
          ? { attemptId: record.intent.attemptId, targetId: record.intent.targetId, keys: record.intent.keys }
          : undefined;
      if (updated) {
        const kept = { copies: record.keptCopies, olderVersion: !sameFile };
        const ticket = this.#ticket(updated.id, updated.version, attemptId, keys, stale, true, kept);
        return { kind: 'begun', ticket: abandoned ? { ...ticket, abandoned } : ticket };
      }
    }
    const record = (await catalog.findByPath(original.opened.path)) as ResultRecord;
    return { kind: 'busy', record };
  }

  /**
   * After `begin` failed: a commit whose answer was lost may still have left
   * this attempt's intent on the record, held for a lease nobody renews. When
   * it did, the attempt is recorded as failed with `cause` (scheduled like any
   * other), so the next offload need not wait out the lease. Nothing was sent
   * yet. Best effort: a catalog still failing leaves the intent to expire, and
   * recovery settles it.
   */
  async beginFailed(path: string, attemptId: string, cause: unknown): Promise<void> {
    const { catalog, logger } = this.#context;
    if (!catalog) return;
    try {
      const record = await catalog.findByPath(path);
      if (record?.intent?.kind !== 'offload' || record.intent.attemptId !== attemptId) return;
      await this.stayedLocal(this.#ticket(record.id, record.version, attemptId, [], undefined, false), cause);
    } catch (error) {
      logger.warn({ key: path, error: errorFacts(error) }, 'the catalog is still failing; the intent will expire');
    }
  }

  /** The one durable commit of a verified result: its target, keys and new location. */
  async offloaded(
    ticket: Ticket,
    commit: { targetId: string; location: string; files: readonly StoredFile[] },
  ): Promise<void> {
    const { catalog } = this.#context;
    if (!catalog || !ticket.recordId) return;
    ticket.stopRenewing();
    const files: ResultFile[] = commit.files.map((file) => ({ ...file }));
    const updated = await catalog.update(
      ticket.recordId,
      ticket.version,
      {
        state: 'offloaded',
        targetId: commit.targetId,
        files,
        localCopy: true,
        attempts: 0,
        lastError: null,
        dueAt: null,
        intent: null,
        ...(ticket.kept.copies.length > 0 ? { keptCopies: keptAfterOffload(ticket, commit.targetId).keptCopies } : {}),
      },
      { addLocations: [commit.location] },
    );
    if (!updated) {
      throw new StorageError(
        ErrorCode.Unknown,
        'the catalog record was taken over while the upload ran (its lease ran out); recovery will adopt the uploaded copy',
      );
    }
    ticket.version = updated.version;
  }

  /**
   * Records that the result stays local after `cause`: pending with the next
   * attempt scheduled, blocked for failures an admin must fix, or given up.
   * An `uncertain` failure keeps an expired intent so recovery checks the
   * backend before anything is sent again.
   */
  async stayedLocal(ticket: Ticket, cause: unknown, options: { uncertain?: boolean } = {}): Promise<void> {
    const { catalog, schedule } = this.#context;
    ticket.stopRenewing();
    if (!catalog || !ticket.recordId) return;
    const error = asStorageError(cause);
    const record = await catalog.get(ticket.recordId);
    if (!record || record.version !== ticket.version) return;
    const now = Date.now();
    const attempts = record.attempts + 1;
    const state = stateAfterFailure(error.code, attempts, now - record.createdAt, schedule);
    const updated = await catalog.update(record.id, record.version, {
      state,
      attempts,
      lastError: { code: error.code, message: error.message, at: now },
      dueAt: state === 'pending' ? nextAttemptAt(now, attempts, schedule) : null,
      intent: options.uncertain && record.intent ? { ...record.intent, leaseUntil: now } : null,
    });
    if (updated) ticket.version = updated.version;
  }

  /** Records that the result stays on local disk by choice (local disk is the default). */
  async keptLocal(ticket: Ticket): Promise<void> {
    const { catalog } = this.#context;
    ticket.stopRenewing();
    if (!catalog || !ticket.recordId) return;
    const updated = await catalog.update(ticket.recordId, ticket.version, {
      state: 'local',
      attempts: 0,
      lastError: null,
      dueAt: null,
      intent: null,
    });
    if (updated) ticket.version = updated.version;
  }

  /** A ticket on an already offloaded record, for removing its local copies. */
  ticketFor(record: ResultRecord): Ticket {
    const keys = record.files.map((file) => file.key);
    return this.#ticket(record.id, record.version, randomUUID(), keys, undefined, false);
  }

  /**
   * Waits (at most `maxWaitMs`) until no other attempt holds the record, and
   * returns it as that attempt left it; undefined when it is still held.
   */
  async settled(record: ResultRecord, maxWaitMs: number): Promise<ResultRecord | undefined> {
    const { catalog } = this.#context;
    if (!catalog) return undefined;
    const deadline = Date.now() + maxWaitMs;
    let delay = 20;
    for (;;) {
      const current = await catalog.get(record.id);
      if (!current?.intent || current.intent.leaseUntil <= Date.now()) return current;
      if (Date.now() + delay > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  /**
   * Records, before any local file is touched, that the local copies are going:
   * the record says there is no local copy, and a cleanup intent names the
   * verified files, so a crash mid-removal leaves work recovery finishes, never
   * a record that claims a file the disk no longer has. False when the record
   * moved on (then nothing is removed).
   */
  async removingLocal(ticket: Ticket, files: readonly JournalFile[]): Promise<boolean> {
    const { catalog, owner, leaseMs } = this.#context;
    if (!catalog || !ticket.recordId) return true;
    const record = await catalog.get(ticket.recordId);
    if (!record || record.version !== ticket.version) return false;
    const now = Date.now();
    const updated = await catalog.update(record.id, record.version, {
      localCopy: false,
      files: record.files.map(({ identity: _going, ...file }) => file),
      intent: {
        kind: 'cleanup',
        attemptId: ticket.attemptId,
        owner,
        startedAt: now,
        leaseUntil: now + leaseMs,
        targetId: LOCAL_TARGET_ID,
        keys: files.map((file) => file.opened.path),
        identities: files.map((file) => file.opened.identity),
      },
    });
    if (!updated) return false;
    ticket.version = updated.version;
    return true;
  }

  /**
   * The record of `path` when it is offloaded and its local copies are gone
   * (removed by delete-local, or by recovery finishing an interrupted removal):
   * an offload of that path, whose file is missing, is already done.
   */
  async offloadedWithoutLocalCopy(path: string): Promise<ResultRecord | undefined> {
    const record = await this.#context.catalog?.findByPath(path);
    return record?.state === 'offloaded' && !record.localCopy ? record : undefined;
  }

  /** Records that the local copies are gone (the cleanup intent is done). */
  async localRemoved(ticket: Ticket): Promise<void> {
    const { catalog } = this.#context;
    if (!catalog || !ticket.recordId) return;
    const updated = await catalog.update(ticket.recordId, ticket.version, { intent: null });
    if (updated) ticket.version = updated.version;
  }

  /** Records that removing the local copies failed and they are still there. */
  async localKept(ticket: Ticket, files: readonly JournalFile[]): Promise<void> {
    const { catalog } = this.#context;
    if (!catalog || !ticket.recordId) return;
    const record = await catalog.get(ticket.recordId);
    if (!record || record.version !== ticket.version) return;
    const identities = new Map(files.map((file) => [file.opened.path, file.opened.identity]));
    const updated = await catalog.update(record.id, record.version, {
      localCopy: true,
      files: record.files.map((file) => {
        const identity = identities.get(file.path);
        return identity ? { ...file, identity } : file;
      }),
      intent: null,
    });
    if (updated) ticket.version = updated.version;
  }

  /** Records that a new version appeared at the path after the commit: it is due to be sent on its own. */
  async newVersionAtPath(ticket: Ticket): Promise<void> {
    const { catalog } = this.#context;
    if (!catalog || !ticket.recordId) return;
    const record = await catalog.get(ticket.recordId);
    if (!record) return;
    const files = record.files.map(({ identity: _unknown, ...file }) => file);
    const updated = await catalog.update(ticket.recordId, ticket.version, {
      state: 'pending',
      dueAt: Date.now(),
      files,
      intent: null,
    });
    if (updated) ticket.version = updated.version;
  }

  // Renews the lease while the upload runs, so a long upload is never mistaken for an abandoned one.
  #ticket(
    recordId: string | undefined,
    version: number,
    attemptId: string,
    keys: readonly string[],
    stale: Ticket['stale'],
    renew = true,
    kept: Ticket['kept'] = { copies: [], olderVersion: false },
  ): Ticket {
    const { catalog, leaseMs, logger } = this.#context;
    let timer: NodeJS.Timeout | undefined;
    if (catalog && recordId && renew) {
      timer = setInterval(
        () => {
          catalog.renewLease(recordId, attemptId, Date.now() + leaseMs).catch((error: unknown) => {
            logger.warn({ error: errorFacts(error) }, 'could not renew an offload lease');
          });
        },
        Math.max(1_000, Math.floor(leaseMs / 3)),
      );
      timer.unref();
    }
    return {
      recordId,
      attemptId,
      keys,
      stale,
      kept,
      version,
      stopRenewing: () => clearInterval(timer),
    };
  }
}

/** An owner id for intents: host and process (for liveness checks on this host) plus a random part. */
export function instanceOwner(hostname: string): string {
  return `${hostname}/${process.pid}/${randomUUID().slice(0, 8)}`;
}
