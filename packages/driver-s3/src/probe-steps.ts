/**
 * The S3 driver's part of "test connection" (core's runProbe runs the steps):
 * a connect step that lists one key, which tells an unreachable endpoint, bad
 * credentials and a missing bucket apart without writing (ACCESS_DENIED passes
 * on to the write step: write-only tokens cannot list), the public URL to fetch
 * the probe object through when one is configured, and the warning when no
 * lifecycle rule aborts incomplete uploads (lifecycle.ts).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, type RunProbeOptions } from '@stowage/storage-core';
import { toStorageError } from './errors.js';
import { lifecycleWarning } from './lifecycle.js';

/** What the probe steps reach. */
export interface ProbeStepsTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly secrets: readonly string[];
  /** The public URL of a key, when the driver has a public base. */
  readonly publicUrl?: (key: string) => string;
}

/** The connect step, public URL and warnings for `runProbe`. */
export function s3ProbeSteps(target: ProbeStepsTarget): RunProbeOptions {
  const { client, bucket, keyPrefix, secrets } = target;
  return {
    ...(target.publicUrl ? { publicUrl: target.publicUrl } : {}),
    warnings: async () => {
      const warning = await lifecycleWarning({ client, bucket, keyPrefix }, secrets);
      return warning ? [warning] : [];
    },
    connect: async () => {
      try {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1, Prefix: keyPrefix }));
      } catch (error) {
        const mapped = toStorageError(error, { operation: 'list', bucket, secrets });
        if (mapped.code !== ErrorCode.AccessDenied) throw mapped;
      }
    },
  };
}
