/**
 * MinIO in a container through testcontainers, for machines with a Docker
 * engine. testcontainers is an optional peer dependency and is imported only
 * here, lazily, so users without it (or without Docker) fall back cleanly.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { MINIO_CONTAINER_IMAGE } from './pinned-tools.js';
import { DEFAULT_TEST_REGION, type StartedS3TestServer } from './server-info.js';

export interface MinioContainerOptions {
  /** Image to run; must be explicit for @testcontainers/minio. Default: the last published MinIO image. */
  image?: string;
}

/** testcontainers' message when no Docker (or compatible) engine answers. */
const NO_RUNTIME = 'Could not find a working container runtime strategy';

function isModuleMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * True when testcontainers is installed and finds a working container runtime.
 * False when either is missing; any other failure is thrown, since it is a
 * broken setup rather than an absent one.
 */
export async function containerRuntimeAvailable(): Promise<boolean> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    if (isModuleMissing(error)) return false;
    throw error;
  }
  try {
    await testcontainers.getContainerRuntimeClient();
    return true;
  } catch (error) {
    if ((error as Error)?.message?.includes(NO_RUNTIME)) return false;
    throw error;
  }
}

/**
 * Starts MinIO in a container with random root credentials. Call only after
 * `containerRuntimeAvailable()` said yes. `stop()` removes the container.
 */
export async function startMinioContainer(options: MinioContainerOptions = {}): Promise<StartedS3TestServer> {
  const image = options.image ?? MINIO_CONTAINER_IMAGE;
  if (image.trim() === '' || !image.includes(':'))
    throw new StorageError(ErrorCode.InvalidInput, `startMinioContainer: image "${image}" must name an explicit tag`);
  let minio: typeof import('@testcontainers/minio');
  try {
    minio = await import('@testcontainers/minio');
  } catch (error) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      'startMinioContainer needs the optional peer dependency @testcontainers/minio (pnpm add -D @testcontainers/minio testcontainers)',
      { cause: error },
    );
  }
  const accessKeyId = `stowage${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const container = await new minio.MinioContainer(image)
    .withUsername(accessKeyId)
    .withPassword(secretAccessKey)
    .start();
  let stopped: Promise<void> | undefined;
  return {
    info: {
      endpoint: container.getConnectionUrl(),
      region: DEFAULT_TEST_REGION,
      accessKeyId,
      secretAccessKey,
      source: 'container',
    },
    stop: () => {
      stopped ??= container.stop().then(() => undefined);
      return stopped;
    },
  };
}
