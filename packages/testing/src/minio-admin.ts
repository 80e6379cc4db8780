/**
 * MinIO users with narrow permissions, made with the `mc` admin client: the
 * way to get credentials that may upload but not read back (and the like) for
 * probe and error-classification tests. Every call uses a throwaway
 * MC_CONFIG_DIR and passes the root credentials through MC_HOST_<alias>, so
 * nothing touches ~/.mc and no secret is written to disk or shown in errors.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { findBinary } from './find-binary.js';
import { removeOnExit } from './managed-process.js';
import { MC_GO_MODULE } from './pinned-tools.js';
import type { S3TestServerInfo } from './server-info.js';
import type { TestCredentials } from './test-s3-client.js';

const run = promisify(execFile);
const ALIAS = 'stowage';

/** An IAM policy document as MinIO accepts it. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: ReadonlyArray<{
    Effect: 'Allow' | 'Deny';
    Action: readonly string[];
    Resource: readonly string[];
  }>;
}

/**
 * Ready-made permission sets, each an Allow on the given actions:
 * - `read-only`: GetObject, ListBucket, GetBucketLocation;
 * - `write-only`: PutObject only (covers multipart uploads);
 * - `read-write`: read-only + PutObject, DeleteObject and multipart housekeeping;
 * - `no-delete`: read-write without DeleteObject;
 * - `no-access`: the user exists but has no policy, so every request is denied.
 */
export type MinioPolicyPreset = 'read-only' | 'write-only' | 'read-write' | 'no-delete' | 'no-access';

/** A preset, a list of `s3:` actions to allow, or a full policy document. */
export type MinioUserPolicy = MinioPolicyPreset | { actions: readonly string[] } | { document: PolicyDocument };

export interface CreateMinioUserOptions {
  policy: MinioUserPolicy;
  /** Limit presets and `actions` to this bucket and its objects; default every bucket. */
  bucket?: string;
  /** Path to `mc`; else STOWAGE_MC_BIN; else `mc` on PATH. */
  mcBinary?: string;
}

const READ = ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'];
const MULTIPART = ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads'];
const PRESET_ACTIONS: Record<Exclude<MinioPolicyPreset, 'no-access'>, readonly string[]> = {
  'read-only': READ,
  'write-only': ['s3:PutObject'],
  'read-write': [...READ, 's3:PutObject', 's3:DeleteObject', ...MULTIPART],
  'no-delete': [...READ, 's3:PutObject', ...MULTIPART],
};

function invalid(message: string): StorageError {
  return new StorageError(ErrorCode.InvalidInput, `createMinioUser: ${message}`);
}

function resources(bucket: string | undefined): string[] {
  return bucket === undefined ? ['arn:aws:s3:::*'] : [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
}

/** The policy document to attach, or undefined for `no-access`; throws INVALID_INPUT on a bad policy. */
export function policyDocument(policy: MinioUserPolicy, bucket?: string): PolicyDocument | undefined {
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw invalid(`bucket "${bucket}" is not a valid bucket name`);
  if (policy === 'no-access') return undefined;
  let actions: readonly string[];
  if (typeof policy === 'string') {
    const preset = PRESET_ACTIONS[policy as keyof typeof PRESET_ACTIONS];
    if (preset === undefined)
      throw invalid(
        `unknown policy "${policy}"; use read-only, write-only, read-write, no-delete, no-access, { actions } or { document }`,
      );
    actions = preset;
  } else if (policy !== null && typeof policy === 'object' && 'document' in policy) {
    const statements = policy.document?.Statement;
    if (!Array.isArray(statements) || statements.length === 0)
      throw invalid('policy document needs a non-empty Statement list');
    return policy.document;
  } else if (policy !== null && typeof policy === 'object' && 'actions' in policy) {
    actions = policy.actions;
    const bad = Array.isArray(actions) ? actions.filter((a) => typeof a !== 'string' || !/^s3:[\w*]+$/.test(a)) : [];
    if (!Array.isArray(actions) || actions.length === 0) throw invalid('actions must be a non-empty list');
    if (bad.length > 0) throw invalid(`actions must look like "s3:GetObject"; got ${bad.map(String).join(', ')}`);
  } else {
    throw invalid('policy must be a preset name, { actions } or { document }');
  }
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources(bucket) }] };
}

/** `http://key:secret@host:port` for MC_HOST_<alias>; mc reads the credentials from the URL. */
function mcHostUrl(info: S3TestServerInfo): string {
  const url = new URL(info.endpoint);
  url.username = encodeURIComponent(info.accessKeyId);
  url.password = encodeURIComponent(info.secretAccessKey);
  return url.toString().replace(/\/+$/, '');
}

/** mc's JSON error line, reduced to its message; the secret blanked out in any case. */
function mcFailure(output: string, secrets: readonly string[]): string {
  let text = output.trim();
  for (const line of text.split('\n')) {
    try {
      const parsed = JSON.parse(line) as { error?: { message?: string; cause?: { message?: string } } };
      if (parsed.error?.message) {
        text = [parsed.error.message, parsed.error.cause?.message].filter(Boolean).join(': ');
        break;
      }
    } catch {
      // Not a JSON line; keep the raw output.
    }
  }
  return secrets.reduce((acc, secret) => (secret ? acc.split(secret).join('***') : acc), text) || '(no output)';
}

/** Runs `mc admin <args>` against `info` with a throwaway config dir. */
async function mcAdmin(
  mc: string,
  configDir: string,
  info: S3TestServerInfo,
  args: string[],
  what: string,
  secrets: readonly string[] = [],
) {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('MC_HOST_')),
  );
  env.MC_CONFIG_DIR = configDir;
  env[`MC_HOST_${ALIAS}`] = mcHostUrl(info);
  try {
    await run(mc, ['--json', '--no-color', 'admin', ...args], { env, timeout: 30_000 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    const hidden = [info.secretAccessKey, encodeURIComponent(info.secretAccessKey), ...secrets];
    throw new StorageError(
      ErrorCode.Unknown,
      `mc admin ${what} failed at ${info.endpoint}: ${mcFailure(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, hidden)}`,
    );
  }
}

/**
 * Creates a MinIO user with the given permissions and returns its credentials.
 * Works against MinIO only (the `env` source must point at a MinIO server).
 */
export async function createMinioUser(
  info: S3TestServerInfo,
  options: CreateMinioUserOptions,
): Promise<TestCredentials> {
  const document = policyDocument(options?.policy, options?.bucket);
  const mc = findBinary({
    label: 'MinIO client (mc)',
    explicit: options.mcBinary,
    envVar: 'STOWAGE_MC_BIN',
    names: ['mc'],
    goModule: MC_GO_MODULE,
  });
  // MinIO wants user access keys of 3-20 characters and secrets of 8-40.
  const accessKeyId = `stw${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const configDir = await mkdtemp(join(tmpdir(), 'stowage-mc-'));
  const forget = removeOnExit(configDir);
  try {
    await mcAdmin(mc, configDir, info, ['user', 'add', ALIAS, accessKeyId, secretAccessKey], 'user add', [
      secretAccessKey,
    ]);
    if (document !== undefined) {
      const policyName = `stowage-${accessKeyId}`;
      const policyFile = join(configDir, 'policy.json');
      await writeFile(policyFile, JSON.stringify(document));
      await mcAdmin(mc, configDir, info, ['policy', 'create', ALIAS, policyName, policyFile], 'policy create');
      await mcAdmin(
        mc,
        configDir,
        info,
        ['policy', 'attach', ALIAS, policyName, '--user', accessKeyId],
        'policy attach',
      );
    }
    return { accessKeyId, secretAccessKey };
  } finally {
    await rm(configDir, { recursive: true, force: true });
    forget();
  }
}
