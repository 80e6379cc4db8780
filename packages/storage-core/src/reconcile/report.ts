/**
 * What a reconcile found, as counts, bytes and a bounded sample of each kind
 * of disagreement. Plain JSON, so the report is kept in the catalog job as is.
 */
import type { ResultState } from '../catalog/types.js';

/** How many samples each finding keeps: the first ones in key order. */
export const SAMPLE_SIZE = 20;

/** A kind of disagreement: how many, their bytes, and the first few. */
export interface ReconcileFinding<S> {
  readonly count: number;
  readonly bytes: number;
  /** At most SAMPLE_SIZE (20), the first in key order. */
  readonly sample: readonly S[];
}

/** An object (or a file on the results disk) that no live record points to. */
export interface UnrecordedSample {
  readonly key: string;
  readonly size: number;
  /** ISO 8601. */
  readonly lastModified: string;
}

/** A recorded file whose object is gone. */
export interface MissingSample {
  readonly key: string;
  readonly path: string;
  readonly resultId: string;
  readonly state: ResultState;
}

/** A key of a kept copy (a migration's source copy) whose object is gone. */
export interface MissingKeptSample {
  readonly key: string;
  /** The results-disk path of the record that keeps it. */
  readonly path: string;
  readonly resultId: string;
}

/** Why an object does not match its record. */
export type MismatchReason = 'size' | 'sha256' | 'content';

/** A recorded file whose object differs from what the catalog recorded. */
export interface MismatchSample {
  readonly key: string;
  readonly path: string;
  readonly resultId: string;
  readonly reason: MismatchReason;
  /** What the catalog recorded (size in bytes, or SHA-256). */
  readonly expected: string;
  /** What the object has; "none" for an object without sha256 metadata. */
  readonly actual: string;
}

/** An object that could not be checked (the HEAD or GET failed); it is neither counted as matching nor as mismatched. */
export interface UncheckedSample {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** What `fix` did. */
export interface ReconcileFixes {
  /** Orphans deleted. */
  readonly orphansDeleted: number;
  /** Orphans kept because they are younger than the grace period. */
  readonly orphansKeptYoung: number;
  /** Orphans kept because an intent in the catalog names them (an offload or migration may still record them). */
  readonly orphansKeptInFlight: number;
  /** Orphans kept because Stowage did not write them (no `stowage-attempt` metadata): another app's, or older. */
  readonly orphansKeptForeign: number;
  /** Orphans a record pointed to again by the time they were to be deleted. */
  readonly orphansRecordedMeanwhile: number;
  /** Orphans whose delete failed. */
  readonly orphanDeletesFailed: number;
  /** Results sent back to the worker's queue from their local copy. */
  readonly requeued: number;
  /** Results marked `missing`: no copy anywhere. */
  readonly markedMissing: number;
  /** Keys of kept copies forgotten by their records: each found gone, and the rest of a copy forgotten whole for one (see fix-kept.ts). */
  readonly keptCopiesForgotten: number;
  /** Missing results (or kept copies) left alone because work is in flight on them (recovery or that work settles them). */
  readonly missingInFlight: number;
  /** Incomplete multipart uploads aborted. */
  readonly uploadsAborted: number;
  /** Incomplete multipart uploads whose abort failed. */
  readonly uploadAbortsFailed: number;
}

/** Counts of a reconcile as it runs ('reconcile:progress' events). */
export interface ReconcileProgress {
  readonly jobId: string;
  readonly target: string;
  /** 'objects': comparing the target; 'local-files': walking the results disk; 'uploads': aborting incomplete uploads. */
  readonly phase: 'objects' | 'local-files' | 'uploads' | 'done';
  readonly listed: number;
  readonly recorded: number;
  readonly orphans: number;
  readonly missing: number;
  readonly mismatched: number;
  readonly unknownLocalFiles: number;
  readonly elapsedMs: number;
}

/** What `storage.reconcile()` reports; also kept as `progress.report` of its catalog job. */
export interface ReconcileReport {
  readonly jobId: string;
  /** 'cancelled': stopped by the signal; the counts cover what was compared until then. */
  readonly state: 'done' | 'cancelled';
  readonly target: string;
  readonly backend: string;
  readonly fix: boolean;
  readonly deep: boolean;
  readonly graceMs: number;
  /** Objects the target lists (Stowage's probe objects left out), and their bytes. */
  readonly listed: { readonly objects: number; readonly bytes: number };
  /** Files the catalog records in the target, and their bytes. */
  readonly recorded: { readonly files: number; readonly bytes: number };
  /** Objects no live record points to (for "local": files on the results disk no record knows). */
  readonly orphans: ReconcileFinding<UnrecordedSample>;
  /** Recorded files whose object is gone (confirmed by a second look). */
  readonly missing: ReconcileFinding<MissingSample>;
  /**
   * Copies records keep in the target (a migration's source copies, see KeptCopy): how many keys
   * the catalog records, and those whose object is gone (confirmed by a second look). A kept copy
   * the listing shows is neither an orphan nor a mismatch.
   */
  readonly keptCopies: { readonly recorded: number; readonly missing: ReconcileFinding<MissingKeptSample> };
  /** Recorded files whose object differs: its size, its sha256 metadata, or (deep) its bytes. */
  readonly mismatched: ReconcileFinding<MismatchSample> & {
    readonly byReason: Readonly<Record<MismatchReason, number>>;
  };
  /** Files on the results disk that no live record knows, whatever the target (never deleted). */
  readonly unknownLocalFiles: ReconcileFinding<UnrecordedSample>;
  /** Objects that could not be checked. */
  readonly unchecked: ReconcileFinding<UncheckedSample>;
  /** What fix mode did; undefined without `fix`. */
  readonly fixes: ReconcileFixes | undefined;
  readonly durationMs: number;
}

/** A finding as it accumulates. */
export class FindingTally<S> {
  count = 0;
  bytes = 0;
  readonly sample: S[] = [];

  add(bytes: number, sample: () => S): void {
    this.count++;
    this.bytes += bytes;
    if (this.sample.length < SAMPLE_SIZE) this.sample.push(sample());
  }

  toJSON(): ReconcileFinding<S> {
    return { count: this.count, bytes: this.bytes, sample: [...this.sample] };
  }
}

/** Every finding of one reconcile, as it accumulates. */
export class ReconcileTally {
  readonly listed = { objects: 0, bytes: 0 };
  readonly recorded = { files: 0, bytes: 0 };
  readonly orphans = new FindingTally<UnrecordedSample>();
  readonly missing = new FindingTally<MissingSample>();
  readonly kept = { recorded: 0, missing: new FindingTally<MissingKeptSample>() };
  readonly mismatched = new FindingTally<MismatchSample>();
  readonly byReason: Record<MismatchReason, number> = { size: 0, sha256: 0, content: 0 };
  unknownLocalFiles = new FindingTally<UnrecordedSample>();
  readonly unchecked = new FindingTally<UncheckedSample>();
  readonly fixes = {
    orphansDeleted: 0,
    orphansKeptYoung: 0,
    orphansKeptInFlight: 0,
    orphansKeptForeign: 0,
    orphansRecordedMeanwhile: 0,
    orphanDeletesFailed: 0,
    requeued: 0,
    markedMissing: 0,
    keptCopiesForgotten: 0,
    missingInFlight: 0,
    uploadsAborted: 0,
    uploadAbortsFailed: 0,
  } satisfies ReconcileFixes;

  mismatch(bytes: number, sample: MismatchSample): void {
    this.byReason[sample.reason]++;
    this.mismatched.add(bytes, () => sample);
  }
}
