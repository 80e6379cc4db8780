/**
 * What the orchestrator asks one child process to measure, and what the child
 * reports back. Plain JSON both ways: each case runs in a fresh process so its
 * peak RSS is its own (see README, "How memory is measured").
 */

/** Which implementation a case exercises: the raw AWS SDK (the baseline) or the Stowage S3 driver. */
export type Side = 'raw' | 'driver';

/** Where the MinIO under test is, and the bucket the run owns. */
export interface ServerTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
}

/** Multipart tuning shared by both sides so they upload the same way. */
export interface UploadTuning {
  readonly partSize: number;
  readonly queueSize: number;
}

/** Upload one big body, generated on the fly (`stream`) or read from a file (`file`). */
interface UploadCase {
  readonly kind: 'upload';
  readonly side: Side;
  readonly body: 'stream' | 'file';
  readonly key: string;
  readonly bytes: number;
  readonly filePath: string;
  readonly tuning: UploadTuning;
}

/** PUT `count` small objects under `prefix` with at most `concurrency` in flight. */
interface SmallObjectsCase {
  readonly kind: 'small';
  readonly side: Side;
  readonly prefix: string;
  readonly count: number;
  readonly bytes: number;
  readonly concurrency: number;
  readonly tuning: UploadTuning;
}

/** Read one object to the end as a stream. */
interface ReadCase {
  readonly kind: 'read';
  readonly side: Side;
  readonly key: string;
  readonly bytes: number;
  readonly tuning: UploadTuning;
}

/** Sequential single-PUT writes through the driver, with or without `Expect: 100-continue`. */
interface ExpectContinueCase {
  readonly kind: 'expect';
  readonly side: 'driver';
  readonly expectContinue: boolean;
  readonly prefix: string;
  readonly count: number;
  readonly bytes: number;
  readonly tuning: UploadTuning;
}

export type BenchCase = UploadCase | SmallObjectsCase | ReadCase | ExpectContinueCase;

/** What the child sends back on its last stdout line. */
export interface CaseResult {
  /** Wall time of the measured operations only (after start-up and warm-up). */
  readonly elapsedMs: number;
  /** Payload bytes moved. */
  readonly bytes: number;
  /** Requests the caller made (objects written or read). */
  readonly operations: number;
  /** RSS after warm-up, right before the measured work. */
  readonly rssBeforeBytes: number;
  /** The kernel's high-water mark of the child's RSS (getrusage maxrss). */
  readonly maxRssBytes: number;
  /** Peak of sampled V8 heap + external (Buffers) memory, minus its value before the work. */
  readonly peakHeapDeltaBytes: number;
}

/** Environment variable carrying `{ spec, target }` as JSON to the child. */
export const CASE_ENV = 'STOWAGE_BENCH_CASE';
/** Prefix of the child's result line on stdout. */
export const RESULT_MARKER = 'STOWAGE_BENCH_RESULT ';
