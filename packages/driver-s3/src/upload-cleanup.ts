/**
 * Cleaning up after a failed multipart write: aborting its upload id on the
 * cleanup client (long timeouts), retried with backoff for up to the cleanup
 * window, and sweeping the key's uploads that no id reached us for.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3DriverConfig } from './config.js';
import { abortUpload, listOpenUploads, type UploadsTarget } from './incomplete-uploads.js';
import type { RetryPolicy } from './retry.js';

/** Uploads initiated this long before the write began still count as its own (server and local clocks differ). */
const INITIATED_SLACK_MS = 60_000;
/** How long aborting what a failed write left keeps retrying by default: a short outage passes, a long one is left to the sweep. */
const DEFAULT_CLEANUP_WINDOW_MS = 60_000;

/** What cleaning up needs to know about a write. */
export interface CleanupSubject {
  /** A client whose timeouts outlast a slow link (built on demand). */
  readonly cleanupClient: () => S3Client;
  readonly config: S3DriverConfig;
  readonly backendKey: string;
  readonly secrets: readonly string[];
  /** How long aborting keeps retrying; default DEFAULT_CLEANUP_WINDOW_MS. */
  readonly cleanupWindowMs?: number | undefined;
}

/** The cleanup client, retrying each request with backoff for up to the cleanup window. */
function cleanupTarget(target: CleanupSubject): { uploads: UploadsTarget; policy: RetryPolicy } {
  const window = target.cleanupWindowMs ?? DEFAULT_CLEANUP_WINDOW_MS;
  const policy: RetryPolicy = {
    retries: 12,
    minDelayMs: Math.max(target.config.retryDelayMs, 250),
    maxRetryTimeMs: window,
  };
  const uploads: UploadsTarget = {
    client: target.cleanupClient(),
    bucket: target.config.bucket,
    keyPrefix: target.config.keyPrefix,
    secrets: target.secrets,
    retry: policy,
  };
  return { uploads, policy };
}

/**
 * Aborts the multipart upload `uploadId` of the write, retrying within the
 * cleanup window (a second abort of a gone upload is harmless). Returns false
 * when it kept failing: the upload may be left open.
 */
export async function abortUploadId(target: CleanupSubject, uploadId: string): Promise<boolean> {
  const { uploads, policy } = cleanupTarget(target);
  try {
    await abortUpload(uploads, target.backendKey, uploadId, policy);
    return true;
  } catch {
    return false;
  }
}

/**
 * Aborts the open multipart uploads of exactly this key that began since the
 * write did: the ones failed attempts could not abort by id. A concurrent
 * writer of the same key started in that window would lose its upload too;
 * offload never writes one key twice at once. Best effort within the cleanup
 * window: returns false when the listing or an abort still failed, and what is
 * left open then is for the caller to report (`details.uploadLeftOpen`),
 * `sweepIncompleteUploads` and the bucket's lifecycle rule.
 */
export async function sweepOpenUploads(target: CleanupSubject, startedAt: number): Promise<boolean> {
  const { uploads, policy } = cleanupTarget(target);
  const since = startedAt - INITIATED_SLACK_MS;
  try {
    const ours: string[] = [];
    for await (const page of listOpenUploads(uploads, target.backendKey, undefined)) {
      for (const open of page) if ((open.Initiated?.getTime() ?? since) >= since) ours.push(open.UploadId as string);
    }
    const aborts = await Promise.allSettled(
      ours.map((uploadId) => abortUpload(uploads, target.backendKey, uploadId, policy)),
    );
    return aborts.every((abort) => abort.status === 'fulfilled');
  } catch {
    return false;
  }
}
