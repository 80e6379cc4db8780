/**
 * What offload writes to the catalog, and when: an intent before the first
 * byte goes out, then one commit with the outcome, before any local copy is
 * removed. A process killed in between leaves an intent that recovery
 * resolves (see recover.ts). Without a catalog every step is a no-op and
 * locations resolve through the provider's current settings.
 */
import { randomUUID } from 'node:crypto';
import {
  type Catalog,
  LOCAL_TARGET_ID,
  type RecordedFileIdentity,
  type ResultFile,
  type ResultIntent,
  type ResultRecord,
} from '../catalog/types.js';
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import { sameFileIdentity } from '../file-source.js';
import { formatLocation } from '../location.js';
import { errorFacts, type Logger } from '../logger.js';
import type { OpenedResultFile } from './result-file.js';
import { nextAttemptAt, type RetrySchedule, stateAfterFailure } from './retry-schedule.js';

/** What the journal needs from the storage. */
export interface JournalContext {
  readonly catalog: Catalog | undefined;
  /** This storage instance, as intent owner (see `instanceOwner`). */
  readonly owner: string;
  /** How long an intent is held without renewal. */
  readonly leaseMs: number;
  readonly schedule: RetrySchedule;
  readonly logger: Logger;
}

/** One file of the result as opened, with its name and content type. */
export interface JournalFile {
  readonly name: string;
  readonly opened: OpenedResultFile;
  readonly contentType: string;
}

/** A file as it was stored. */
export interface StoredFile {
  readonly name: string;
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
  /** The local file that was sent. */
  readonly identity: RecordedFileIdentity;
}

/** Where `begin` is about to send a result. */
export interface BeginPlan {
  readonly targetId: string;
  /** The key of each file there, original first. */
  readonly keys: readonly string[];
  /** The caller's metadata, kept so a retry sends the same. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The attempt id of a claim this storage already holds on the record (the worker's). */
  readonly heldAttempt?: string;
}

/** An offload's hold on its record. */
export interface Ticket {
  readonly recordId: string | undefined;
  readonly attemptId: string;
  /** The placement of an older version that this one replaces, to delete once the new one is committed. */
  readonly stale: { readonly targetId: string; readonly keys: readonly string[] } | undefined;
  version: number;
  stopRenewing(): void;
}

/** What `begin` found. */
export type Begin =
  | { readonly kind: 'begun'; readonly ticket: Ticket }
  /** Another attempt holds the record right now. */
  | { readonly kind: 'busy'; readonly record: ResultRecord }
  /** The very same file is already offloaded: nothing to send. */
  | { readonly kind: 'done'; readonly record: ResultRecord };

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
    const { targetId, keys } = plan;
    const attemptId = plan.heldAttempt ?? randomUUID();
    if (!catalog) return { kind: 'begun', ticket: this.#ticket(undefined, 0, attemptId, undefined) };
    const original = files[0] as JournalFile;
    const now = Date.now();
    const intent: ResultIntent = {
      kind: 'offload',
      attemptId,
      owner: this.#context.owner,
      startedAt: now,
      leaseUntil: now + this.#context.leaseMs,
      targetId,
      key: keys[0] as string,
      keys,
    };
    for (let tries = 0; tries < 3; tries++) {
      const record = await catalog.findByPath(original.opened.path);
      if (!record) {
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
            intent,
            now,
          });
          return { kind: 'begun', ticket: this.#ticket(inserted.id, inserted.version, attemptId, undefined) };
        } catch (error) {
          if ((error as StorageError).code === ErrorCode.PreconditionFailed) continue; // another offload inserted it first
          throw error;
        }
      }
      const heldByOther =
        record.intent && record.intent.leaseUntil > now && record.intent.attemptId !== plan.heldAttempt;
      if (heldByOther) return { kind: 'busy', record };
      const sameFile = sameFiles(record, files);
      if (record.state === 'offloaded' && sameFile) return { kind: 'done', record };
      // A new version (or a first offload): until it is verified elsewhere, it serves from local disk.
      const replacesRemote = !sameFile && record.targetId !== LOCAL_TARGET_ID && record.state !== 'deleted';
      const stale = replacesRemote
        ? { targetId: record.targetId, keys: record.files.map((file) => file.key) }
        : undefined;
      const updated = await catalog.update(record.id, record.version, {
        state: record.state === 'deleted' || !sameFile ? 'pending' : record.state,
        targetId: LOCAL_TARGET_ID,
        files: localFiles(files),
        metadata: plan.metadata,
        localCopy: true,
        intent,
      });
      if (updated) return { kind: 'begun', ticket: this.#ticket(updated.id, updated.version, attemptId, stale) };
    }
    const record = (await catalog.findByPath(original.opened.path)) as ResultRecord;
    return { kind: 'busy', record };
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
    return this.#ticket(record.id, record.version, randomUUID(), undefined, false);
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
    stale: Ticket['stale'],
    renew = true,
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
      stale,
      version,
      stopRenewing: () => clearInterval(timer),
    };
  }
}

/** An owner id for intents: host and process (for liveness checks on this host) plus a random part. */
export function instanceOwner(hostname: string): string {
  return `${hostname}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

function localFiles(files: readonly JournalFile[]): ResultFile[] {
  return files.map((file) => ({
    name: file.name,
    path: file.opened.path,
    key: file.opened.path,
    size: file.opened.size,
    sha256: undefined,
    contentType: file.contentType,
    identity: file.opened.identity,
  }));
}

/** The record holds these very files: same names, paths and unchanged local files. */
function sameFiles(record: ResultRecord, files: readonly JournalFile[]): boolean {
  return (
    record.files.length === files.length &&
    record.files.every((file, index) => {
      const opened = files[index];
      return (
        opened !== undefined &&
        file.name === opened.name &&
        file.path === opened.opened.path &&
        file.identity !== undefined &&
        sameFileIdentity(file.identity, opened.opened.identity)
      );
    })
  );
}
