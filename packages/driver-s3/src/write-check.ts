/**
 * What every write path shares once the server accepted the object: the ETag
 * compared with the digests of the bytes sent (the object deleted again on a
 * mismatch), the stored size where ETags are not MD5-based, and what a failed
 * write learned across attempts (`details.uncertain`, see upload.ts).
 */
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, StorageError, type WriteResult } from '@stowage/storage-core';
import type { S3DriverConfig } from './config.js';
import { type ErrorContext, toStorageError } from './errors.js';
import { checkEtag, type SentDigests } from './integrity.js';

/** Where a write goes, as the checks need it. */
export interface CheckTarget {
  readonly client: S3Client;
  readonly config: S3DriverConfig;
  readonly key: string;
  readonly backendKey: string;
}

/** What the attempts of one write learned, across retries. */
export interface WriteState {
  /** A failed attempt may have left a multipart upload it could not abort. */
  sweepNeeded: boolean;
  /** The object may exist under the key although the write failed (see upload.ts). */
  uncertain: boolean;
}

/** What a failed write says beyond its error (see upload.ts). */
export interface FailureMarks {
  /** The object may have been stored anyway (`details.uncertain`). */
  readonly uncertain: boolean;
  /** A multipart upload may be left open at the key: its abort kept failing through the cleanup window. */
  readonly uploadLeftOpen: boolean;
}

/** The same failure with `marks` in its details and its message. */
export function markFailure(failure: StorageError, marks: FailureMarks): StorageError {
  const notes = [
    ...(marks.uncertain ? ['the object may have been stored anyway (its outcome is unknown)'] : []),
    ...(marks.uploadLeftOpen ? ['a multipart upload may be left open at the key'] : []),
  ];
  return new StorageError(failure.code, [failure.message, ...notes].join('; '), {
    cause: failure.cause ?? failure,
    key: failure.key,
    status: failure.status,
    details: {
      ...failure.details,
      ...(marks.uncertain ? { uncertain: true } : {}),
      ...(marks.uploadLeftOpen ? { uploadLeftOpen: true } : {}),
    },
  });
}

/**
 * Verifies a stored object against what was sent: its ETag against `digests`,
 * or (ETags not MD5-based) its stored size. A mismatching object is deleted.
 * `state.uncertain` is true while the object exists unverified.
 */
export async function verifyWrite(
  target: CheckTarget,
  etag: string | undefined,
  digests: SentDigests,
  size: number,
  context: ErrorContext,
  state: WriteState,
): Promise<WriteResult> {
  const { client, config, key } = target;
  // Stored: until verified (or deleted again), a failure leaves an object behind.
  state.uncertain = true;
  const check = checkEtag(etag, digests, config.serverSideEncryption !== 'aws:kms');
  if (!check.matches) {
    if (await deleteQuietly(client, config.bucket, target.backendKey)) state.uncertain = false;
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: the server reported ETag ${etag} but the bytes sent hash to ${check.expected}; the object was deleted`,
      { key, details: { etag, expected: check.expected } },
    );
  }
  if (check.kind === 'none') await verifySize(target, size, context, state);
  state.uncertain = false;
  return { key, size, etag: etag?.replace(/"/g, ''), checksum: check.kind };
}

/** Without an MD5-based ETag, at least the stored size must match what was sent. */
async function verifySize(target: CheckTarget, size: number, context: ErrorContext, state: WriteState): Promise<void> {
  const { client, config, key } = target;
  let stored: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: target.backendKey }));
    stored = head.ContentLength;
  } catch (error) {
    throw toStorageError(error, context);
  }
  if (stored !== size) {
    if (await deleteQuietly(client, config.bucket, target.backendKey)) state.uncertain = false;
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `write "${key}" in bucket "${config.bucket}" failed verification: ${size} bytes sent but ${stored} stored; the object was deleted`,
      { key },
    );
  }
}

/** Deletes the object, ignoring failures; true when it is gone. */
async function deleteQuietly(client: S3Client, bucket: string, backendKey: string): Promise<boolean> {
  return client.send(new DeleteObjectCommand({ Bucket: bucket, Key: backendKey })).then(
    () => true,
    () => false,
  );
}
