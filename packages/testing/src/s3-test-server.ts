/**
 * One entry point for "give me an S3 server to test against", for Stowage's
 * own suite and for users' suites alike. Order: an existing server named by
 * environment variables; MinIO in a container when a Docker engine answers;
 * a local MinIO process otherwise.
 */
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { containerRuntimeAvailable, type MinioContainerOptions, startMinioContainer } from './minio-container.js';
import { type MinioProcessOptions, startMinioProcess } from './minio-process.js';
import { DEFAULT_TEST_REGION, type StartedS3TestServer } from './server-info.js';

/** Environment variables that point the helpers at an existing S3 server instead of starting one. */
export const S3_TEST_ENV = {
  endpoint: 'STOWAGE_TEST_S3_ENDPOINT',
  accessKeyId: 'STOWAGE_TEST_S3_ACCESS_KEY_ID',
  secretAccessKey: 'STOWAGE_TEST_S3_SECRET_ACCESS_KEY',
  region: 'STOWAGE_TEST_S3_REGION',
} as const;

export interface S3TestServerOptions {
  /** Try testcontainers before a local process. Default true. */
  container?: boolean | MinioContainerOptions;
  /** Options for the local MinIO process fallback. */
  process?: MinioProcessOptions;
  /** Environment to read STOWAGE_TEST_S3_* from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Reads the STOWAGE_TEST_S3_* variables; undefined when none is set, an error when only some are. */
export function s3TestServerFromEnv(env: NodeJS.ProcessEnv = process.env): StartedS3TestServer | undefined {
  const endpoint = env[S3_TEST_ENV.endpoint];
  const accessKeyId = env[S3_TEST_ENV.accessKeyId];
  const secretAccessKey = env[S3_TEST_ENV.secretAccessKey];
  if (!endpoint && !accessKeyId && !secretAccessKey) return undefined;
  const missing = Object.entries({ endpoint, accessKeyId, secretAccessKey })
    .filter(([, value]) => !value)
    .map(([name]) => S3_TEST_ENV[name as 'endpoint' | 'accessKeyId' | 'secretAccessKey']);
  if (missing.length > 0)
    throw new StorageError(
      ErrorCode.Misconfigured,
      `S3 test server from the environment is incomplete: set ${missing.join(', ')} too, or unset all STOWAGE_TEST_S3_* variables`,
    );
  try {
    new URL(endpoint as string);
  } catch (error) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `${S3_TEST_ENV.endpoint} is not a URL: "${endpoint}" (expected e.g. http://127.0.0.1:9000)`,
      { cause: error },
    );
  }
  return {
    info: {
      endpoint: (endpoint as string).replace(/\/+$/, ''),
      region: env[S3_TEST_ENV.region] || DEFAULT_TEST_REGION,
      accessKeyId: accessKeyId as string,
      secretAccessKey: secretAccessKey as string,
      source: 'env',
    },
    // Somebody else owns that server.
    stop: async () => {},
  };
}

/**
 * Returns a running S3 server for tests and how to stop it.
 *
 * @example
 * // vitest globalSetup
 * const server = await startS3TestServer();
 * project.provide('s3', server.info);
 * return () => server.stop();
 */
export async function startS3TestServer(options: S3TestServerOptions = {}): Promise<StartedS3TestServer> {
  const fromEnv = s3TestServerFromEnv(options.env ?? process.env);
  if (fromEnv) return fromEnv;
  const container = options.container ?? true;
  if (container !== false && (await containerRuntimeAvailable())) {
    return startMinioContainer(container === true ? {} : container);
  }
  return startMinioProcess(options.process);
}
