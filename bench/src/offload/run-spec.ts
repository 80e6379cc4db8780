/**
 * What the offload benchmark asks one child process to do, and what the child
 * reports back: plain JSON both ways. Each run is a fresh process so its peak
 * RSS is its own.
 */
import type { ServerTarget, UploadTuning } from '../case-spec.js';

/**
 * The Stowage side's knobs beyond the defaults a new user gets. This is the one
 * place a variant is described; `contenders()` in contenders.ts lists which
 * variants a run measures and `openStowage()` in stowage-run.ts applies them.
 */
export interface StowageVariant {
  /**
   * Record every offload in the catalog: the embedded SQLite catalog beside the
   * settings file, as a new user gets it by default. False passes `catalog: false`.
   */
  readonly catalog: boolean;
}

/**
 * Steps of Stowage's offload added to the raw baseline one at a time (the
 * attribution pass), so each is priced on its own, outside Stowage's code.
 */
export interface RawSteps {
  /** SHA-256 of the file in a read of its own before the upload, sent as "sha256" metadata (as offload does). */
  readonly sha256First: boolean;
  /** A HeadObject after the upload (offload's verify step stats the object). */
  readonly headAfter: boolean;
  /** A presigned GET URL per file (offload's outcome URL when the backend has no public base URL). */
  readonly presignUrl: boolean;
}

/** One implementation under test, as it appears in the tables. */
export type Contender =
  | { readonly label: string; readonly kind: 'stowage'; readonly variant: StowageVariant }
  | { readonly label: string; readonly kind: 'raw'; readonly steps?: RawSteps }
  | { readonly label: string; readonly kind: 'rclone' };

/** The Node contenders, which run in a child process of this package. */
export type NodeContender = Exclude<Contender, { kind: 'rclone' }>;

/** One run: upload every file under `<resultsRoot>/<dir>/` to `<bucket>/<dir>/`. */
export interface OffloadRunSpec {
  readonly contender: NodeContender;
  readonly target: ServerTarget;
  /** The results disk: a real directory holding the workload directories. */
  readonly resultsRoot: string;
  /** The workload directory, relative to `resultsRoot`; also the key prefix. */
  readonly dir: string;
  /** Files in flight at once. */
  readonly concurrency: number;
  /** Part size and parts in flight per file: Stowage's defaults, used by every contender. */
  readonly tuning: UploadTuning;
}

/** What a run reports. */
export interface OffloadRunResult {
  /** Wall time of the uploads only (after set-up and one warm-up request). */
  readonly elapsedMs: number;
  readonly files: number;
  /** RSS right before the timed work; undefined for rclone (not a Node process). */
  readonly rssBeforeBytes: number | undefined;
  /** The kernel's high-water mark of the process's RSS. */
  readonly maxRssBytes: number;
  /**
   * CPU time (user + system) the contender used: during the timed work for the
   * Node contenders, the whole process for rclone (start-up included);
   * undefined when it could not be read.
   */
  readonly cpuMs: number | undefined;
  /** Timed-work window on the monotonic clock (µs), to cut a CPU profile to the work. */
  readonly workWindowUs?: { readonly start: number; readonly end: number };
  /** What went wrong though the process exited cleanly (e.g. an offload that stayed local). */
  readonly problems: readonly string[];
}

/** Environment variable carrying an OffloadRunSpec as JSON to the child. */
export const OFFLOAD_RUN_ENV = 'STOWAGE_BENCH_OFFLOAD_RUN';
