/**
 * R2 settings: account id (or an endpoint), jurisdiction, bucket, an R2 API
 * token's S3 credentials, public base URL, path-style and key prefix. Region,
 * ACLs and checksum mode are not settings: R2 fixes them. Every problem is
 * reported at once, before any network call.
 */
import { httpUrlProblem, s3SettingsSchema } from '@stowage/driver-s3';
import { z } from 'zod';
import { ACCOUNT_ID, parseR2Endpoint, R2_JURISDICTIONS } from './endpoint.js';

const s3Fields = s3SettingsSchema.shape;

const endpointField = z
  .string({ error: 'must be a URL string' })
  .trim()
  .superRefine((value, ctx) => {
    // A path is allowed here: it names the bucket (bucket-specific endpoint URL).
    const problem = httpUrlProblem(value, true);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
    const parsed = parseR2Endpoint(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });

/** The R2 driver's settings. Strict: a field it does not declare is refused ("unknown setting"). */
export const r2SettingsSchema = z
  .strictObject({
    /** Cloudflare account id (32 hex characters); the endpoint is derived from it. */
    accountId: z
      .string({ error: 'must be a string' })
      .trim()
      .toLowerCase()
      .regex(ACCOUNT_ID, { error: 'must be the 32-character hex Cloudflare account id' })
      .optional(),
    /** Where the bucket lives; buckets in a jurisdiction answer only on its endpoint. */
    jurisdiction: z.enum(R2_JURISDICTIONS, { error: 'must be "default", "eu" or "fedramp"' }).optional(),
    /**
     * A custom S3 endpoint, or the bucket-specific URL from the dashboard
     * (`https://<account>.r2.cloudflarestorage.com/<bucket>`), which is split.
     */
    endpoint: endpointField.optional(),
    /** Required unless the endpoint URL names the bucket. */
    bucket: s3Fields.bucket.optional(),
    accessKeyId: s3Fields.accessKeyId,
    secretAccessKey: s3Fields.secretAccessKey,
    /** The r2.dev URL or custom domain that serves the bucket publicly; public URLs never include the bucket name. */
    publicBaseUrl: s3Fields.publicBaseUrl,
    /**
     * Path-style requests (`endpoint/bucket/key`). Default false: virtual-hosted
     * (`bucket.endpoint/key`), which works for standard R2 buckets; turn it on only
     * when a setup requires path-style addressing.
     */
    forcePathStyle: z.boolean({ error: 'must be true or false' }).optional(),
    keyPrefix: s3Fields.keyPrefix,
    /** Refused rather than dropped, so nobody believes objects are public because an ACL was set. */
    acl: z
      .undefined({
        error: 'R2 has no object ACLs; serve public files through an r2.dev URL or a custom domain (publicBaseUrl)',
      })
      .optional(),
    storageClass: z.enum(['STANDARD', 'STANDARD_IA'], { error: 'must be "STANDARD" or "STANDARD_IA"' }).optional(),
    partSize: s3Fields.partSize,
    queueSize: s3Fields.queueSize,
    maxConcurrentWrites: s3Fields.maxConcurrentWrites,
    retries: s3Fields.retries,
    retryDelayMs: s3Fields.retryDelayMs,
    connectionTimeoutMs: s3Fields.connectionTimeoutMs,
    requestTimeoutMs: s3Fields.requestTimeoutMs,
    idleTimeoutMs: s3Fields.idleTimeoutMs,
  })
  .superRefine(
    (value, ctx) => {
      const raw = value as Partial<Record<string, unknown>>;
      const endpoint = typeof raw.endpoint === 'string' ? raw.endpoint : undefined;
      let parsed: ReturnType<typeof parseR2Endpoint> | undefined;
      try {
        parsed = endpoint === undefined ? undefined : parseR2Endpoint(endpoint);
      } catch {
        parsed = undefined; // already reported by the endpoint field
      }
      const split = typeof parsed === 'object' ? parsed : undefined;
      if (raw.accountId === undefined && raw.endpoint === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['accountId'],
          message: 'give the Cloudflare account id, or an endpoint URL',
        });
      }
      if (raw.endpoint !== undefined && raw.jurisdiction !== undefined && raw.jurisdiction !== split?.jurisdiction) {
        ctx.addIssue({
          code: 'custom',
          path: ['jurisdiction'],
          message: 'does not match the endpoint; with an endpoint, leave jurisdiction out (the endpoint decides)',
        });
      }
      if (
        typeof raw.accountId === 'string' &&
        split?.accountId !== undefined &&
        split.accountId !== raw.accountId.toLowerCase()
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['accountId'],
          message: 'does not match the account in the endpoint URL',
        });
      }
      if (raw.bucket === undefined && endpoint !== undefined && split !== undefined && split.bucket === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['bucket'],
          message: 'required (or give the bucket-specific endpoint URL)',
        });
      } else if (raw.bucket === undefined && endpoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'required' });
      }
      if (typeof raw.bucket === 'string' && split?.bucket !== undefined && split.bucket !== raw.bucket) {
        ctx.addIssue({
          code: 'custom',
          path: ['bucket'],
          message: 'differs from the bucket named in the endpoint URL',
        });
      }
    },
    { when: () => true },
  );

/** R2 settings as given to `createR2Driver`. */
export type R2SettingsInput = z.input<typeof r2SettingsSchema>;
/** R2 settings after validation. */
export type R2Settings = z.output<typeof r2SettingsSchema>;

/** Fields that hold secrets. */
export const R2_SECRET_FIELDS = ['secretAccessKey'] as const;

/** The fields that decide where objects live (the endpoint follows the account and jurisdiction): a change is a new target. */
export const R2_PLACEMENT_FIELDS = ['accountId', 'jurisdiction', 'endpoint', 'bucket', 'keyPrefix'] as const;
