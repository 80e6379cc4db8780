/**
 * Presigned URLs. PUT URLs sign Content-Type and Content-Length in, so a browser
 * can upload exactly the file it announced and nothing else; the presigning
 * client runs with WHEN_REQUIRED checksums, because WHEN_SUPPORTED signs the
 * CRC32 of an empty body into the URL. Expiry follows core's one rule
 * (`presignExpiresIn`: at least 1 second, capped at 7 days).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ErrorCode,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  presignExpiresIn,
  StorageError,
} from '@stowage/storage-core';
import type { GetUrlSigner } from './get-url-signer.js';

/** Expiry when the caller gives none. */
export const DEFAULT_PRESIGN_SECONDS = 15 * 60;

export interface PresignTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly backendKey: string;
  /** Signs plain GET URLs without the SDK's per-URL pipeline (get-url-signer.ts). */
  readonly getUrls?: GetUrlSigner;
}

/** A GET URL plain `fetch` can download from, optionally with Content-Disposition and Content-Type overrides. */
export async function presignGetUrl(target: PresignTarget, options: PresignGetOptions = {}): Promise<PresignedRequest> {
  const expiresIn = presignExpiresIn(target.key, options.expiresIn, DEFAULT_PRESIGN_SECONDS);
  if (target.getUrls && !options.contentDisposition && !options.contentType) {
    const url = await target.getUrls.sign(target.backendKey, expiresIn);
    return { url, method: 'GET', headers: {}, expiresAt: new Date(Date.now() + expiresIn * 1000) };
  }
  const command = new GetObjectCommand({
    Bucket: target.bucket,
    Key: target.backendKey,
    ...(options.contentDisposition ? { ResponseContentDisposition: options.contentDisposition } : {}),
    ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
  });
  const url = await getSignedUrl(target.client, command, { expiresIn });
  return { url, method: 'GET', headers: {}, expiresAt: new Date(Date.now() + expiresIn * 1000) };
}

/** Returns every problem with presigned PUT options. */
export function presignPutProblems(options: PresignPutOptions | undefined): string[] {
  const problems: string[] = [];
  if (!options || typeof options.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+/.test(options.contentType)) {
    problems.push('contentType must be a MIME type such as image/png');
  }
  const length = options?.contentLength;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    problems.push('contentLength must be a non-negative whole number of bytes');
  }
  return problems;
}

/**
 * A PUT URL with Content-Type and Content-Length signed in: the server refuses
 * an upload that sends a different type or length (signature mismatch).
 */
export async function presignPutUrl(target: PresignTarget, options: PresignPutOptions): Promise<PresignedRequest> {
  const problems = presignPutProblems(options);
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `cannot presign upload of "${target.key}": ${problems.join('; ')}`, {
      key: target.key,
    });
  }
  const expiresIn = presignExpiresIn(target.key, options.expiresIn, DEFAULT_PRESIGN_SECONDS);
  const command = new PutObjectCommand({
    Bucket: target.bucket,
    Key: target.backendKey,
    ContentType: options.contentType,
    ContentLength: options.contentLength,
  });
  const url = await getSignedUrl(target.client, command, {
    expiresIn,
    signableHeaders: new Set(['content-type', 'content-length']),
    unhoistableHeaders: new Set(['content-type', 'content-length']),
  });
  return {
    url,
    method: 'PUT',
    // Content-Length is signed but not listed: browsers refuse to set it and fetch derives it from the body.
    headers: { 'content-type': options.contentType },
    expiresAt: new Date(Date.now() + expiresIn * 1000),
  };
}
