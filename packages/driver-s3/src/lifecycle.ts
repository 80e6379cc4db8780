/**
 * The bucket lifecycle rule that aborts incomplete multipart uploads. A
 * process killed mid-upload (SIGKILL, power loss, a crashed container) cannot
 * abort its own upload, and its parts stay billed until something does: the
 * driver's `sweepIncompleteUploads` when it runs, or this rule, which the
 * provider applies by itself. AWS S3 and R2 support it; R2 puts a 7-day rule on
 * new buckets. MinIO drops it (it expires stale uploads on its own,
 * MINIO_API_STALE_UPLOADS_EXPIRY), so the helper reads the rules back to be sure.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
 * https://developers.cloudflare.com/r2/buckets/object-lifecycles/
 */
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ErrorCode, type ProbeWarning, StorageError } from '@stowage/storage-core';
import { toStorageError } from './errors.js';

/** The ID of the rule the helper writes; other rules in the bucket are kept as they are. */
export const ABORT_INCOMPLETE_UPLOADS_RULE_ID = 'stowage-abort-incomplete-multipart-uploads';

/** Where the rule goes: the driver's client, bucket and key prefix (an S3Driver is one). */
export interface LifecycleTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
}

/** The prefix a rule applies to, or undefined when its filter also looks at tags or sizes. */
function rulePrefix(rule: LifecycleRule): string | undefined {
  const filter = rule.Filter;
  if (filter === undefined) return rule.Prefix ?? '';
  if (filter.Tag !== undefined || filter.ObjectSizeGreaterThan !== undefined || filter.ObjectSizeLessThan !== undefined)
    return undefined;
  if (filter.And !== undefined) {
    const and = filter.And;
    if ((and.Tags?.length ?? 0) > 0 || and.ObjectSizeGreaterThan !== undefined || and.ObjectSizeLessThan !== undefined)
      return undefined;
    return and.Prefix ?? '';
  }
  return filter.Prefix ?? '';
}

/**
 * The enabled rule that aborts incomplete uploads of every key under
 * `keyPrefix`, if any: its filter is a prefix of `keyPrefix` (or empty) and
 * looks at nothing else.
 */
export function abortIncompleteUploadsRule(
  rules: readonly LifecycleRule[],
  keyPrefix: string,
): LifecycleRule | undefined {
  return rules.find((rule) => {
    const prefix = rulePrefix(rule);
    return (
      rule.Status === 'Enabled' &&
      (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? 0) > 0 &&
      prefix !== undefined &&
      keyPrefix.startsWith(prefix)
    );
  });
}

/** The bucket's lifecycle rules; none when it has no lifecycle configuration. */
async function readRules(target: LifecycleTarget, secrets: readonly string[] = []): Promise<LifecycleRule[]> {
  try {
    const output = await target.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: target.bucket }));
    return output.Rules ?? [];
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchLifecycleConfiguration') return [];
    throw toStorageError(error, { operation: 'read lifecycle rules of', bucket: target.bucket, secrets });
  }
}

export interface AbortIncompleteUploadsRuleOptions {
  /** Days after initiation an incomplete upload is aborted; default 7 (R2's default). */
  readonly days?: number;
}

/**
 * Adds (or updates) a lifecycle rule aborting incomplete multipart uploads
 * under the driver's key prefix `days` after they started, keeping every other
 * rule, then reads the rules back to check the provider kept it. Needs
 * bucket-configuration permissions (an R2 "Admin Read & Write" token, S3
 * s3:PutLifecycleConfiguration and s3:GetLifecycleConfiguration). UNSUPPORTED
 * when the provider refuses or silently drops the rule (MinIO).
 */
export async function applyAbortIncompleteUploadsRule(
  target: LifecycleTarget,
  options: AbortIncompleteUploadsRuleOptions = {},
): Promise<LifecycleRule> {
  const days = options.days ?? 7;
  if (!Number.isSafeInteger(days) || days < 1 || days > 36_500) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      'applyAbortIncompleteUploadsRule: days must be a whole number from 1',
    );
  }
  const rule: LifecycleRule = {
    ID: ABORT_INCOMPLETE_UPLOADS_RULE_ID,
    Status: 'Enabled',
    Filter: { Prefix: target.keyPrefix },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
  };
  const others = (await readRules(target)).filter((existing) => existing.ID !== ABORT_INCOMPLETE_UPLOADS_RULE_ID);
  const unsupported = (why: string, cause?: unknown) =>
    new StorageError(
      ErrorCode.Unsupported,
      `bucket "${target.bucket}" cannot take a lifecycle rule that aborts incomplete multipart uploads: ${why}. Run sweepIncompleteUploads() periodically instead.`,
      { cause },
    );
  try {
    await target.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: target.bucket,
        LifecycleConfiguration: { Rules: [...others, rule] },
      }),
    );
  } catch (error) {
    const mapped = toStorageError(error, { operation: 'write lifecycle rules of', bucket: target.bucket });
    // MinIO answers a rule whose only action is AbortIncompleteMultipartUpload as malformed XML.
    const name = (mapped.details?.s3Code as string | undefined) ?? '';
    if (mapped.code === ErrorCode.Unsupported || /^(InvalidArgument|MalformedXML|InvalidRequest)$/.test(name)) {
      throw unsupported(`the provider refused it (${mapped.message})`, mapped);
    }
    throw mapped;
  }
  const kept = abortIncompleteUploadsRule(await readRules(target), target.keyPrefix);
  if (kept === undefined) throw unsupported('the provider accepted the configuration but dropped the rule');
  return kept;
}

/**
 * The probe's lifecycle check: a warning when no rule aborts incomplete
 * uploads under the key prefix, or when the rules could not be read (an
 * "Object Read & Write" token may not read bucket configuration); undefined
 * when a rule is in place. Never throws.
 */
export async function lifecycleWarning(
  target: LifecycleTarget,
  secrets: readonly string[],
): Promise<ProbeWarning | undefined> {
  let rules: LifecycleRule[];
  try {
    rules = await readRules(target, secrets);
  } catch (error) {
    const reason =
      (error as StorageError).code === ErrorCode.AccessDenied
        ? 'these credentials may not read bucket configuration (an R2 "Object Read & Write" token cannot)'
        : ((error as Error).message ?? String(error));
    return {
      code: 'INCOMPLETE_UPLOAD_RULE_UNCHECKED',
      message: `Could not check whether a lifecycle rule aborts incomplete multipart uploads: ${reason}. Check in the provider's console that one exists (R2 adds a 7-day rule to new buckets): uploads cut short by a crash are otherwise kept and billed until sweepIncompleteUploads() runs.`,
    };
  }
  if (abortIncompleteUploadsRule(rules, target.keyPrefix)) return undefined;
  return {
    code: 'NO_INCOMPLETE_UPLOAD_RULE',
    message: `No lifecycle rule of bucket "${target.bucket}" aborts incomplete multipart uploads${target.keyPrefix ? ` under "${target.keyPrefix}"` : ''}: an upload cut short by a crash (a killed process cannot abort its own) is kept and billed until sweepIncompleteUploads() runs. Add one with applyAbortIncompleteUploadsRule(), or in the provider's console (AbortIncompleteMultipartUpload, e.g. 7 days).`,
  };
}
