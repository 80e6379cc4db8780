/**
 * The S3 driver's settings schema. Field checks and cross-field checks both run
 * on every parse, so one ConfigError lists every problem at once. Messages never
 * echo input values: a secret pasted into the wrong field must not leak.
 */
import { keyProblem } from '@stowage/storage-core';
import { z } from 'zod';
import { type ChecksumMode, S3_PRESETS, S3_PROVIDERS, type S3Provider } from './presets.js';

/** S3's minimum part size: every part but the last must be at least this big. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's maximum part size. */
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** Default part size: a little above the minimum so fewer requests carry more bytes. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** Canned ACLs S3 defines for objects. */
export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;

const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? 'required' : `must be ${what}`;

const nonEmptyString = (what = 'a non-empty string') =>
  z
    .string({ error: required(what) })
    .trim()
    .min(1, { error: 'must not be empty' });

// Bucket names across S3, R2, B2, Spaces, Wasabi and GCS interop: lower-case, digits, dots, dashes, underscores.
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/;

/** Returns why `value` is not an http(s) base URL without credentials, query or fragment. */
export function httpUrlProblem(value: string, allowPath: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://host.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.search || url.hash) return 'must not contain a query string or fragment';
  if (!allowPath && url.pathname !== '/' && url.pathname !== '') {
    return 'must not contain a path (give the bucket name in "bucket")';
  }
  return undefined;
}

const urlField = (allowPath: boolean) =>
  z
    .string({ error: required('a URL string') })
    .trim()
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value, allowPath);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const millis = (max: number) =>
  z
    .number({ error: required('a number of milliseconds') })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(0, { error: 'must not be negative' })
    .max(max, { error: `must be at most ${max}` });

/**
 * The S3 driver's settings, as stored by the registry and given to
 * `createS3Driver`. Strict: a field it does not declare is refused ("unknown setting").
 */
export const s3SettingsSchema = z
  .strictObject({
    /** Which preset fills in endpoint pattern, region, path-style, checksum mode and ACL support. */
    provider: z.enum(S3_PROVIDERS, { error: `must be one of ${S3_PROVIDERS.join(', ')}` }).optional(),
    /** Base URL of the S3 API, e.g. http://127.0.0.1:9000. Derived from the preset when omitted. */
    endpoint: urlField(false).optional(),
    region: nonEmptyString().optional(),
    bucket: nonEmptyString().refine((value) => BUCKET_NAME.test(value), {
      error:
        'must be 3-223 characters of lower-case letters, digits, ".", "-" or "_", starting and ending with a letter or digit',
    }),
    accessKeyId: nonEmptyString(),
    secretAccessKey: nonEmptyString(),
    sessionToken: nonEmptyString().optional(),
    /** Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`). */
    forcePathStyle: z.boolean({ error: 'must be true or false' }).optional(),
    /** Prepended to every key on the backend; callers never see it. */
    keyPrefix: z
      .string({ error: 'must be a string' })
      .superRefine((value, ctx) => {
        const trimmed = value.replace(/^\/+/, '').replace(/\/+$/, '');
        const problem = trimmed === '' ? undefined : keyProblem(trimmed);
        if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^key/, 'key prefix') });
      })
      .optional(),
    /** Public or CDN base URL; public URLs are this base plus the (prefixed) key. */
    publicBaseUrl: urlField(true).optional(),
    acl: z.enum(CANNED_ACLS, { error: `must be one of ${CANNED_ACLS.join(', ')}` }).optional(),
    storageClass: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'must be an S3 storage class such as STANDARD or STANDARD_IA' })
      .optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms'], { error: 'must be "AES256" or "aws:kms"' }).optional(),
    sseKmsKeyId: nonEmptyString().optional(),
    /** Request and response checksum behaviour; defaults to the preset's (WHEN_REQUIRED everywhere). */
    checksumMode: z
      .enum(['WHEN_REQUIRED', 'WHEN_SUPPORTED'], { error: 'must be "WHEN_REQUIRED" or "WHEN_SUPPORTED"' })
      .optional(),
    partSize: z
      .number({ error: required('a number of bytes') })
      .int({ error: 'must be a whole number of bytes' })
      .min(MIN_PART_SIZE, { error: 'must be at least 5 MiB (5242880 bytes), the S3 minimum' })
      .max(MAX_PART_SIZE, { error: 'must be at most 5 GiB, the S3 maximum' })
      .default(DEFAULT_PART_SIZE),
    /** Parts uploaded in parallel per write; memory use is at most partSize × queueSize per write. */
    queueSize: z
      .number({ error: required('a number') })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(64, { error: 'must be at most 64' })
      .default(4),
    /**
     * Writes this driver is expected to run at once (the offload concurrency, 4 by default).
     * Sockets are sized to maxConcurrentWrites × queueSize plus room for reads and listings,
     * so parts never queue for a socket ("socket usage at capacity").
     */
    maxConcurrentWrites: z
      .number({ error: required('a number') })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(256, { error: 'must be at most 256' })
      .default(4),
    /** Retries of idempotent operations after the first attempt. */
    retries: z
      .number({ error: required('a number') })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must not be negative' })
      .max(10, { error: 'must be at most 10' })
      .default(3),
    /** First retry delay; later ones grow exponentially, with jitter. */
    retryDelayMs: millis(60_000).default(250),
    connectionTimeoutMs: millis(600_000).default(10_000),
    /** Time to send a request and receive the response headers; 0 disables it. */
    requestTimeoutMs: millis(3_600_000).default(300_000),
    /** Longest silence on an open socket before the request fails; 0 disables it. */
    idleTimeoutMs: millis(3_600_000).default(60_000),
  })
  .superRefine(
    (value, ctx) => {
      const raw = value as Partial<Record<string, unknown>>;
      const provider = (typeof raw.provider === 'string' ? raw.provider : undefined) as S3Provider | undefined;
      const preset = S3_PRESETS[provider ?? (raw.endpoint === undefined ? 'aws' : 'custom')];
      if (!preset) return;
      if (preset.requiresEndpoint && raw.endpoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `required for provider "${preset.provider}"` });
      }
      if (preset.defaultRegion === undefined && raw.region === undefined && raw.endpoint === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['region'],
          message: `required for provider "${preset.provider}" (e.g. us-west-004)`,
        });
      }
      if (raw.acl !== undefined && !preset.supportsAcl) {
        ctx.addIssue({ code: 'custom', path: ['acl'], message: `is not supported by ${preset.label}; remove it` });
      }
      if (raw.sseKmsKeyId !== undefined && raw.serverSideEncryption !== 'aws:kms') {
        ctx.addIssue({ code: 'custom', path: ['sseKmsKeyId'], message: 'needs serverSideEncryption "aws:kms"' });
      }
    },
    { when: () => true },
  );

/** Settings as accepted by `createS3Driver` (defaults not yet applied). */
export type S3SettingsInput = z.input<typeof s3SettingsSchema>;
/** Settings after validation, with defaults applied. */
export type S3Settings = z.output<typeof s3SettingsSchema>;

/** Settings fields that hold secrets: encrypted at rest, never shown. */
export const S3_SECRET_FIELDS = ['secretAccessKey', 'sessionToken'] as const;

/** The fields that decide where objects live: a change to any of them is a new target. */
export const S3_PLACEMENT_FIELDS = ['provider', 'endpoint', 'region', 'bucket', 'keyPrefix'] as const;

/** The checksum mode settings resolve to. */
export function resolvedChecksumMode(settings: S3Settings): ChecksumMode {
  return settings.checksumMode ?? S3_PRESETS[providerOf(settings)].checksumMode;
}

/** The preset a settings object uses: explicit, else "custom" with an endpoint, else "aws". */
export function providerOf(settings: Pick<S3Settings, 'provider' | 'endpoint'>): S3Provider {
  return settings.provider ?? (settings.endpoint === undefined ? 'aws' : 'custom');
}
