/**
 * The shapes the offload journal (journal.ts) works with: what it needs from
 * the storage, the files of one offload, the plan `begin` follows, and the
 * ticket an offload holds on its record.
 */
import type { Catalog, KeptCopy, RecordedFileIdentity, ResultRecord } from '../catalog/types.js';
import type { Logger } from '../logger.js';
import type { OpenedResultFile } from './result-file.js';
import type { RetrySchedule } from './retry-schedule.js';

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

/** The facts of a result's record that its keys may depend on (see key-template.ts): fixed at its first attempt. */
export interface RecordKeyFacts {
  /** The catalog record's id; undefined without a catalog. */
  readonly id: string | undefined;
  /** When the record was created (epoch ms): the first attempt. */
  readonly createdAt: number;
}

/** Where `begin` is about to send a result. */
export interface BeginPlan {
  readonly targetId: string;
  /**
   * The key of each file there, original first, from the record's facts: a
   * retry of the same record gets the same keys, since its id and creation
   * time never change.
   */
  readonly keysFor: (record: RecordKeyFacts) => readonly string[];
  /** `keysFor` uses the record's id: a new record is inserted first and its intent then names the keys. */
  readonly keysNeedRecordId: boolean;
  /** The caller's metadata, kept so a retry sends the same. */
  readonly metadata: Readonly<Record<string, string>>;
  /** This attempt's id: of a claim this storage already holds on the record (the worker's), or a new one. */
  readonly attemptId: string;
}

/** An expired offload intent, as the attempt that replaced it found it. */
export interface AbandonedAttempt {
  readonly attemptId: string;
  /** Where it was sending, once it had decided: uploads it left open there are aborted. */
  readonly targetId: string | undefined;
  readonly keys: readonly string[] | undefined;
}

/** An offload's hold on its record. */
export interface Ticket {
  readonly recordId: string | undefined;
  readonly attemptId: string;
  /** The key of each file in the target, original first, as the intent records them. */
  readonly keys: readonly string[];
  /** The attempt whose expired offload intent this one replaced: objects it left at these keys are this result's own. */
  readonly abandoned?: AbandonedAttempt;
  /** The placement of an older version that this one replaces, to delete once the new one is committed. */
  readonly stale: { readonly targetId: string; readonly keys: readonly string[] } | undefined;
  /** The copies the record kept elsewhere when the attempt began, and whether they hold an older version's bytes. */
  readonly kept: { readonly copies: readonly KeptCopy[]; readonly olderVersion: boolean };
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
