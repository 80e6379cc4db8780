/**
 * What a started S3 test server hands to tests. Plain, serializable data so a
 * vitest global setup can pass it to every test file through `provide`/`inject`.
 */

/** Where a running S3 test server was found or started. */
export type S3TestServerSource = 'env' | 'container' | 'process';

/** Connection facts for an S3 test server (root credentials: use only in tests). */
export interface S3TestServerInfo {
  /** Base URL, e.g. `http://127.0.0.1:9000`. Use path-style addressing against it. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `env`: STOWAGE_TEST_S3_* variables; `container`: MinIO through testcontainers; `process`: a local MinIO process. */
  readonly source: S3TestServerSource;
}

/** A started test server. `stop()` is idempotent; for the `env` source it does nothing. */
export interface StartedS3TestServer {
  readonly info: S3TestServerInfo;
  stop(): Promise<void>;
}

/** MinIO's default region, used when nothing else is configured. */
export const DEFAULT_TEST_REGION = 'us-east-1';
