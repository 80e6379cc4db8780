/**
 * A throwaway MinIO server as a local child process: loopback only, a free
 * port, a temporary data directory and random root credentials. Used where no
 * Docker engine is available (and by the Stowage test run itself).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { findBinary } from './find-binary.js';
import { findFreePort, LOOPBACK } from './free-port.js';
import { type ManagedProcess, spawnManaged } from './managed-process.js';
import { MINIO_GO_MODULE } from './pinned-tools.js';
import { DEFAULT_TEST_REGION, type S3TestServerInfo, type StartedS3TestServer } from './server-info.js';
import { createTestS3Client } from './test-s3-client.js';
import { waitForHttpOk } from './wait-for-http.js';

export interface MinioProcessOptions {
  /** Path to the `minio` binary; else STOWAGE_MINIO_BIN; else `minio` on PATH. */
  binary?: string;
  /** Root user; random when omitted. MinIO wants at least 3 characters. */
  accessKeyId?: string;
  /** Root password; random when omitted. MinIO wants at least 8 characters. */
  secretAccessKey?: string;
  /** Region MinIO reports (MINIO_SITE_REGION). Default `us-east-1`. */
  region?: string;
  /** Start the web console on its own free loopback port. Default off. */
  console?: boolean;
  /** How long to wait for `/minio/health/ready`. Default 30 s. */
  startTimeoutMs?: number;
}

/** A running MinIO process. `stop()` kills it and removes its data directory. */
export interface MinioProcess extends StartedS3TestServer {
  readonly pid: number;
  readonly dataDir: string;
  /** Console URL when started with `console: true`. */
  readonly consoleUrl: string | undefined;
}

const PORT_IN_USE = /port is already in use|address already in use/i;
const START_ATTEMPTS = 3;

function validate(options: MinioProcessOptions): void {
  const problems: string[] = [];
  if (options.accessKeyId !== undefined && options.accessKeyId.length < 3)
    problems.push('accessKeyId must be at least 3 characters');
  if (options.secretAccessKey !== undefined && options.secretAccessKey.length < 8)
    problems.push('secretAccessKey must be at least 8 characters');
  if (options.region !== undefined && !/^[a-z0-9-]+$/.test(options.region))
    problems.push(`region "${options.region}" must be lower-case letters, digits and hyphens`);
  const timeout = options.startTimeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
    problems.push('startTimeoutMs must be a positive number of milliseconds');
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `startMinioProcess: ${problems.join('; ')}`);
}

/** The parent's environment minus MINIO_* settings, so a developer's own MinIO config cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MINIO_')));
}

/**
 * Starts MinIO on 127.0.0.1 and waits until it is healthy. Throws MISCONFIGURED
 * when the binary is missing (naming how to install it), and UNAVAILABLE or
 * TIMEOUT with MinIO's last output lines when it does not come up.
 */
export async function startMinioProcess(options: MinioProcessOptions = {}): Promise<MinioProcess> {
  validate(options);
  const binary = findBinary({
    label: 'MinIO server',
    explicit: options.binary,
    envVar: 'STOWAGE_MINIO_BIN',
    names: ['minio'],
    goModule: MINIO_GO_MODULE,
  });
  const accessKeyId = options.accessKeyId ?? `stowage${randomBytes(6).toString('hex')}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(20).toString('hex');
  const region = options.region ?? DEFAULT_TEST_REGION;
  const timeoutMs = options.startTimeoutMs ?? 30_000;

  for (let attempt = 1; ; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'stowage-minio-'));
    const port = await findFreePort();
    const consolePort = options.console ? await findFreePort() : undefined;
    const args = ['server', '--quiet', '--address', `${LOOPBACK}:${port}`];
    if (consolePort !== undefined) args.push('--console-address', `${LOOPBACK}:${consolePort}`);
    args.push(dataDir);
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      MINIO_ROOT_USER: accessKeyId,
      MINIO_ROOT_PASSWORD: secretAccessKey,
      MINIO_SITE_REGION: region,
      MINIO_BROWSER: options.console ? 'on' : 'off',
      MINIO_UPDATE: 'off',
    };
    const child = spawnManaged(binary, args, {
      env,
      cleanupPaths: [dataDir],
      redact: [secretAccessKey],
    });
    const endpoint = `http://${LOOPBACK}:${port}`;
    const consoleUrl = consolePort === undefined ? undefined : `http://${LOOPBACK}:${consolePort}`;
    const deadline = Date.now() + timeoutMs;
    // "ready", not "live": a live MinIO can still answer XMinioServerNotInitialized while it initializes.
    let ready = await waitForHttpOk(`${endpoint}/minio/health/ready`, { timeoutMs, giveUp: child.exited });
    // The console comes up after the S3 API; wait for it too so consoleUrl works on return.
    if (ready.ok && consoleUrl !== undefined)
      ready = await waitForHttpOk(consoleUrl, { timeoutMs: Math.max(1, deadline - Date.now()), giveUp: child.exited });
    if (ready.ok) await untilIamAnswers({ endpoint, region, accessKeyId, secretAccessKey }, deadline);
    if (ready.ok) return started(child, { endpoint, region, accessKeyId, secretAccessKey }, dataDir, consoleUrl);

    await child.stop(1_000);
    await rm(dataDir, { recursive: true, force: true });
    const output = child.outputTail();
    // Another process can take the port between our probe and MinIO's bind: try a new one.
    if (ready.reason === 'gave-up' && PORT_IN_USE.test(output) && attempt < START_ATTEMPTS) continue;
    const what =
      ready.reason === 'timeout'
        ? `MinIO did not become healthy at ${endpoint}${consoleUrl ? ` (console ${consoleUrl})` : ''} within ${timeoutMs} ms (last check: ${ready.lastError ?? 'none'})`
        : `MinIO exited before becoming healthy at ${endpoint}`;
    throw new StorageError(
      ready.reason === 'timeout' ? ErrorCode.Timeout : ErrorCode.Unavailable,
      `${what}. Binary: ${binary}. Last output:\n${output || '(none)'}`,
    );
  }
}

/** MinIO's own words for "still starting": its IAM or server is not initialized yet. */
const NOT_INITIALIZED = /NotInitialized|ServiceUnavailable/;

/**
 * Even "ready", a loaded MinIO can answer an authenticated request with
 * XMinioIAMNotInitialized for a moment: wait until the root credentials work,
 * so the first test request never meets a half-started server.
 */
async function untilIamAnswers(connection: Omit<S3TestServerInfo, 'source'>, deadline: number): Promise<void> {
  const client = createTestS3Client({ ...connection, source: 'process' }, connection, { maxAttempts: 1 });
  try {
    for (;;) {
      try {
        await client.send(new ListBucketsCommand({}));
        return;
      } catch (error) {
        if (!NOT_INITIALIZED.test((error as Error).name) || Date.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

function started(
  child: ManagedProcess,
  connection: Omit<S3TestServerInfo, 'source'>,
  dataDir: string,
  consoleUrl: string | undefined,
): MinioProcess {
  return {
    info: { ...connection, source: 'process' },
    pid: child.pid,
    dataDir,
    consoleUrl,
    stop: () => child.stop(),
  };
}
