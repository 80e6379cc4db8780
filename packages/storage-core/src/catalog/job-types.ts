/**
 * The catalog's jobs: long work (a migration, a reconcile) that several
 * servers share or hand over, kept as rows beside the records (see `Catalog`
 * in types.ts).
 */
import type { RecordedError } from './types.js';

/** The kinds of long work kept as jobs. */
export type JobKind = 'migrate' | 'reconcile';

/** Where a job stands. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * Long work that several servers share or hand over: a migration (whose
 * results are the records marked with its id, claimed one by one by every
 * server's worker) or a reconcile (run by one server at a time, under a lease).
 */
export interface CatalogJob {
  readonly id: string;
  readonly kind: JobKind;
  readonly state: JobState;
  /** What the job was asked to do, as given (JSON). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Counters and the last report (JSON). */
  readonly progress: Readonly<Record<string, unknown>>;
  /** Who runs it, for jobs one server runs at a time. */
  readonly owner: string | undefined;
  readonly leaseUntil: number | undefined;
  readonly lastError: RecordedError | undefined;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A change to a job; `null` clears an optional field. */
export interface JobChanges {
  readonly state?: JobState;
  readonly progress?: Readonly<Record<string, unknown>>;
  readonly owner?: string | null;
  readonly leaseUntil?: number | null;
  readonly lastError?: RecordedError | null;
}
