/**
 * Where the demo gets provider settings from: a JSON settings file
 * (`--settings <file>` or STOWAGE_SETTINGS_FILE), else environment variables
 * (STOWAGE_BACKEND plus R2_* or S3_*). Returns undefined when neither names a
 * backend: the demo then uses its own "archive" disk.
 */
import { readFile } from 'node:fs/promises';

/** S3-compatible backends the demo registers (see @stowage/driver-s3). */
const S3_BACKENDS = ['s3', 'minio', 'wasabi', 'spaces', 'b2', 'gcs'];

/** Every backend name STOWAGE_BACKEND accepts. */
const BACKENDS = ['local', 'r2', ...S3_BACKENDS];

/** Reads the provider choice; throws an Error naming the bad variable or file. */
export async function providerFromEnvironment(env, argv) {
  const flag = argv.indexOf('--settings');
  const settingsFile = flag >= 0 ? argv[flag + 1] : env.STOWAGE_SETTINGS_FILE;
  if (flag >= 0 && !settingsFile) throw new Error('--settings needs a file path');
  if (settingsFile) return fromSettingsFile(settingsFile);
  const backend = env.STOWAGE_BACKEND?.trim();
  if (!backend) return undefined;
  if (!BACKENDS.includes(backend)) {
    throw new Error(`STOWAGE_BACKEND must be one of ${BACKENDS.join(', ')}; got ${JSON.stringify(backend)}`);
  }
  if (backend === 'local') return { backend, settings: {}, source: 'STOWAGE_BACKEND' };
  const settings = backend === 'r2' ? r2FromEnv(env) : s3FromEnv(env, backend);
  return { backend, settings: dropUndefined(settings), source: 'environment' };
}

async function fromSettingsFile(file) {
  let parsed;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read settings file ${file}: ${error.message}`);
  }
  const { backend, settings = {} } = parsed ?? {};
  if (!BACKENDS.includes(backend)) {
    throw new Error(`settings file ${file}: "backend" must be one of ${BACKENDS.join(', ')}`);
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new Error(`settings file ${file}: "settings" must be an object`);
  }
  return { backend, settings: dropUndefined(settings), source: file };
}

function r2FromEnv(env) {
  return {
    accountId: env.R2_ACCOUNT_ID,
    jurisdiction: env.R2_JURISDICTION,
    endpoint: env.R2_ENDPOINT,
    bucket: env.R2_BUCKET,
    accessKeyId: env.R2_ACCESS_KEY_ID,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY,
    publicBaseUrl: env.R2_PUBLIC_BASE_URL,
    keyPrefix: env.R2_KEY_PREFIX,
  };
}

function s3FromEnv(env, backend) {
  return {
    provider: backend === 's3' ? env.S3_PROVIDER : undefined,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    publicBaseUrl: env.S3_PUBLIC_BASE_URL,
    forcePathStyle: parseBoolean(env.S3_FORCE_PATH_STYLE, 'S3_FORCE_PATH_STYLE'),
    keyPrefix: env.S3_KEY_PREFIX,
  };
}

function parseBoolean(value, name) {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name} must be true or false`);
}

function dropUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== ''));
}
