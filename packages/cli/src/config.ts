/**
 * The one config file of `stowage`: where the settings store, the catalog and
 * the results disk are, and which environment variable holds the app key.
 * Looked up as `--config <file>`, else `stowage.config.json` in the current
 * directory. Relative paths resolve from the file's folder. Every problem is
 * reported at once, naming the file and the field, never a value (a Postgres
 * URL holds a password).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { retryScheduleProblems } from '@stowage/storage-core';
import { z } from 'zod';
import { CliError } from './exit-codes.js';

/** The file looked for in the current directory when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'stowage.config.json';

const nonEmpty = (what: string) => z.string({ error: `required (${what})` }).min(1, `required (${what})`);
const envName = z
  .string({ error: 'required (the name of an environment variable)' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, e.g. STOWAGE_APP_KEY');

const postgresCatalog = z.strictObject({
  /** The environment variable that holds the Postgres connection string (keeps the password out of the file). */
  postgresUrlEnv: envName,
  /** The schema of the catalog's tables. Default "stowage". */
  schema: z.string({ error: 'must be a string' }).optional(),
});

/** The file's shape. */
export const configFileSchema = z.strictObject({
  /** The JSON settings file (providers, secrets encrypted, the default). */
  settingsFile: nonEmpty('the path of the settings file'),
  /**
   * A SQLite file path, a `postgres://` URL, or `{ postgresUrlEnv, schema }`.
   * Default: `stowage-catalog.sqlite` beside the settings file.
   */
  catalog: z.union([nonEmpty('a SQLite file path or a postgres:// URL'), postgresCatalog]).optional(),
  /** The results disk, where the platform writes its results. */
  results: z.strictObject(
    {
      dir: nonEmpty('the results folder'),
      /** Where the results folder is served publicly, for URLs of results kept local. */
      publicBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    },
    { error: 'required (an object with "dir", the results folder)' },
  ),
  /** The environment variable that holds the application key (at least 32 characters). */
  appKeyEnv: envName,
  /** Offloads at once. Default 4. */
  concurrency: z
    .int({ error: 'must be a whole number' })
    .min(1, 'must be at least 1')
    .max(64, 'must be at most 64')
    .optional(),
  /** When results that stayed local are tried again (see the core's RetrySchedule). */
  retry: z
    .strictObject({
      firstDelayMs: z.number({ error: 'must be a number' }).optional(),
      maxDelayMs: z.number({ error: 'must be a number' }).optional(),
      jitter: z.number({ error: 'must be a number' }).optional(),
      maxAttempts: z.number({ error: 'must be a number' }).optional(),
      maxAgeMs: z.number({ error: 'must be a number' }).optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Where the catalog is, resolved. */
export type CatalogLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string | undefined };

/** The config with paths made absolute and environment variables read. */
export interface ResolvedConfig {
  /** The config file it came from. */
  readonly file: string;
  readonly settingsFile: string;
  readonly catalog: CatalogLocation;
  readonly resultsDir: string;
  readonly resultsPublicBaseUrl: string | undefined;
  readonly appKeyEnv: string;
  readonly appKey: string;
  readonly concurrency: number | undefined;
  readonly retry: ConfigFile['retry'];
}

/** Every problem of a parsed file, as "field: problem", values never echoed. */
export function configProblems(input: unknown): string[] {
  const result = configFileSchema.safeParse(input);
  // The retry values' ranges are the core's own rules, checked here so they are named with the file, before anything opens.
  if (result.success) return result.data.retry ? retryScheduleProblems(result.data.retry) : [];
  // Unknown fields first: a mistyped name is often why another field is missing.
  const unknown: string[] = [];
  const other: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      unknown.push(...issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown field`));
    } else if (issue.code === 'invalid_union') {
      other.push(`${path}: must be a SQLite file path, a postgres:// URL or { "postgresUrlEnv": ... }`);
    } else if (path === '') other.push('(file): must be a JSON object');
    else other.push(`${path}: ${issue.message}`);
  }
  return [...unknown, ...other];
}

/** The config file to read: `explicit`, else stowage.config.json in `cwd`. */
function configPath(explicit: string | undefined, cwd: string): string {
  return resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
}

/** Reads, checks and resolves the config file; CliError (exit 2) naming the file and every bad field. */
export async function loadConfig(
  explicit: string | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ResolvedConfig> {
  const file = configPath(explicit, cwd);
  const parsed = JSON.parse(await readConfigText(file, explicit !== undefined)) as unknown;
  const problems = configProblems(parsed);
  if (problems.length > 0) throw configError(file, problems);
  const config = configFileSchema.parse(parsed);
  const base = dirname(file);
  const settingsFile = resolve(base, config.settingsFile);
  const appKey = env[config.appKeyEnv];
  const envProblems: string[] = [];
  if (!appKey) envProblems.push(`appKeyEnv: the environment variable ${config.appKeyEnv} is not set`);
  else if (appKey.length < 32)
    envProblems.push(`appKeyEnv: the key in ${config.appKeyEnv} is shorter than 32 characters`);
  const catalog = catalogLocation(config.catalog, base, settingsFile, env, envProblems);
  if (envProblems.length > 0 || !appKey || !catalog) throw configError(file, envProblems);
  return {
    file,
    settingsFile,
    catalog,
    resultsDir: resolve(base, config.results.dir),
    resultsPublicBaseUrl: config.results.publicBaseUrl,
    appKeyEnv: config.appKeyEnv,
    appKey,
    concurrency: config.concurrency,
    retry: config.retry,
  };
}

async function readConfigText(file: string, explicit: boolean): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = explicit ? '' : ` (create it, or pass --config <file>; see the @stowage/cli README)`;
    throw new CliError(
      'CONFIG',
      `config file ${file}: ${code === 'ENOENT' ? 'not found' : `cannot be read (${code})`}${hint}`,
    );
  }
  try {
    JSON.parse(text);
  } catch {
    throw configError(file, ['(file): not valid JSON']);
  }
  return text;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

function catalogLocation(
  catalog: ConfigFile['catalog'],
  base: string,
  settingsFile: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): CatalogLocation | undefined {
  if (catalog === undefined) return { kind: 'sqlite', file: resolve(dirname(settingsFile), 'stowage-catalog.sqlite') };
  if (typeof catalog === 'string') {
    if (POSTGRES_URL.test(catalog)) return { kind: 'postgres', connectionString: catalog, schema: undefined };
    return { kind: 'sqlite', file: isAbsolute(catalog) ? catalog : resolve(base, catalog) };
  }
  const url = env[catalog.postgresUrlEnv];
  if (!url) {
    problems.push(`catalog.postgresUrlEnv: the environment variable ${catalog.postgresUrlEnv} is not set`);
    return undefined;
  }
  return { kind: 'postgres', connectionString: url, schema: catalog.schema };
}

function configError(file: string, problems: readonly string[]): CliError {
  return new CliError('CONFIG', `config file ${file}: ${problems.join('; ')}`);
}
