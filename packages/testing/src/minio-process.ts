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
import { type ManagedProcess, removeOnExit, spawnManaged } from './managed-process.js';
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
  /** The process id of the server started last (a new one after each `start()`). */
  readonly pid: number;
  readonly dataDir: string;
  /** Console URL when started with `console: true`. */
  readonly consoleUrl: string | undefined;
  /**
   * Ends the server as a crash or an outage would (SIGKILL by default), keeping
   * its data directory and port: requests are refused until `start()`.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and data directory and waits until it answers; a no-op while it runs. */
  start(): Promise<void>;
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

  const launch = launcher(binary, options, { accessKeyId, secretAccessKey, region });
  for (let attempt = 1; ; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'stowage-minio-'));
    const forget = removeOnExit(dataDir);
    const port = await findFreePort();
    const consolePort = options.console ? await findFreePort() : undefined;
    const failure = await launch(dataDir, port, consolePort, timeoutMs);
    if (typeof failure !== 'string') return started(launch, failure, dataDir, port, consolePort, timeoutMs, forget);
    await rm(dataDir, { recursive: true, force: true });
    forget();
    // Another process can take the port between our probe and MinIO's bind: try a new one.
    if (PORT_IN_USE.test(failure) && attempt < START_ATTEMPTS) continue;
    throw new StorageError(
      failure.startsWith('timeout') ? ErrorCode.Timeout : ErrorCode.Unavailable,
      failure.replace(/^(timeout|exited): /, ''),
    );
  }
}

/** Root credentials and region of one MinIO server, kept across restarts. */
interface Identity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

/** A running child and its connection facts, or why it did not come up ("timeout: ..." / "exited: ..."). */
type Launched = { readonly child: ManagedProcess; readonly connection: Omit<S3TestServerInfo, 'source'> } | string;

type Launch = (dataDir: string, port: number, consolePort: number | undefined, timeoutMs: number) => Promise<Launched>;

/** Starts MinIO on a given data directory and port(s) and waits until it is healthy. */
function launcher(binary: string, options: MinioProcessOptions, identity: Identity): Launch {
  const { accessKeyId, secretAccessKey, region } = identity;
  return async (dataDir, port, consolePort, timeoutMs) => {
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
    const child = spawnManaged(binary, args, { env, redact: [secretAccessKey] });
    const endpoint = `http://${LOOPBACK}:${port}`;
    const consoleUrl = consolePort === undefined ? undefined : `http://${LOOPBACK}:${consolePort}`;
    const deadline = Date.now() + timeoutMs;
    // "ready", not "live": a live MinIO can still answer XMinioServerNotInitialized while it initializes.
    let ready = await waitForHttpOk(`${endpoint}/minio/health/ready`, { timeoutMs, giveUp: child.exited });
    // The console comes up after the S3 API; wait for it too so consoleUrl works on return.
    if (ready.ok && consoleUrl !== undefined)
      ready = await waitForHttpOk(consoleUrl, { timeoutMs: Math.max(1, deadline - Date.now()), giveUp: child.exited });
    const connection = { endpoint, region, accessKeyId, secretAccessKey };
    if (ready.ok) await untilIamAnswers(connection, deadline);
    if (ready.ok) return { child, connection };

    await child.stop(1_000);
    const what =
      ready.reason === 'timeout'
        ? `timeout: MinIO did not become healthy at ${endpoint}${consoleUrl ? ` (console ${consoleUrl})` : ''} within ${timeoutMs} ms (last check: ${ready.lastError ?? 'none'})`
        : `exited: MinIO exited before becoming healthy at ${endpoint}`;
    return `${what}. Binary: ${binary}. Last output:\n${child.outputTail() || '(none)'}`;
  };
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
  launch: Launch,
  first: Exclude<Launched, string>,
  dataDir: string,
  port: number,
  consolePort: number | undefined,
  timeoutMs: number,
  forgetDataDir: () => void,
): MinioProcess {
  let child: ManagedProcess | undefined = first.child;
  // The last server's pid stays readable after kill() and stop(), so callers can check it is gone.
  let pid = first.child.pid;
  const consoleUrl = consolePort === undefined ? undefined : `http://${LOOPBACK}:${consolePort}`;
  let stopped = false;
  return {
    info: { ...first.connection, source: 'process' },
    get pid() {
      return pid;
    },
    dataDir,
    consoleUrl,
    async kill(signal = 'SIGKILL') {
      const running = child;
      child = undefined;
      if (!running || running.hasExited()) return;
      running.child.kill(signal);
      await running.exited;
    },
    async start() {
      if (stopped) throw new StorageError(ErrorCode.InvalidInput, 'startMinioProcess: start() after stop()');
      if (child && !child.hasExited()) return;
      const again = await launch(dataDir, port, consolePort, timeoutMs);
      if (typeof again === 'string')
        throw new StorageError(ErrorCode.Unavailable, `restarting: ${again.replace(/^(timeout|exited): /, '')}`);
      child = again.child;
      pid = again.child.pid;
    },
    async stop() {
      stopped = true;
      await child?.stop();
      child = undefined;
      await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      forgetDataDir();
    },
  };
}
