/**
 * A body already in memory that fits in one part goes out as one PutObject
 * with the bytes themselves: no stream, no lib-storage Upload (which would copy
 * the bytes into a part buffer of its own), its MD5 hashed in one call, and,
 * where the checksum mode allows, no SDK pipeline either (direct-put.ts). A
 * retry re-sends the same bytes. Per small object this is a large share of the
 * client's CPU (bench/README.md). A SHA-256 the caller already has goes out as
 * the signed payload hash (`x-amz-content-sha256`), so the SigV4 signer does not
 * hash the body again, and the server checks the body against it.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { abortedError, type WriteOptions, type WriteResult } from '@stowage/storage-core';
import { PAYLOAD_HASH_HEADER } from './direct-put.js';
import { type ErrorContext, outcomeUnknown, toStorageError } from './errors.js';
import { PartDigests } from './integrity.js';
import { withRetry } from './retry.js';
import type { UploadTarget } from './upload.js';
import { putParams } from './upload-params.js';
import { verifyWrite, type WriteState } from './write-check.js';

/** Stores `bytes` with one PutObject (retried), then verifies it against its MD5. */
export async function putBytes(
  target: UploadTarget,
  bytes: Uint8Array,
  options: WriteOptions,
  context: ErrorContext,
  state: WriteState,
): Promise<WriteResult> {
  const { client, directPut, key } = target;
  const { signal } = options;
  const digests = new PartDigests();
  digests.set(0, createHash('md5').update(bytes).digest());
  const input = { ...putParams(target, options, bytes.byteLength), Body: bytes };
  const output = await withRetry(
    { retries: target.config.retries, minDelayMs: target.config.retryDelayMs },
    async () => {
      try {
        if (directPut) return await directPut.send(input, bytes, options.sha256, signal);
        return await client.send(
          withPayloadHash(new PutObjectCommand(input), options.sha256),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        // No answer: the server may have stored the object.
        if (outcomeUnknown(error)) state.uncertain = true;
        if (signal?.aborted) throw abortedError(signal, key);
        throw toStorageError(error, context);
      }
    },
    { signal, key, onRetry: target.onRetry },
  );
  const result = await verifyWrite(target, output.ETag, digests, bytes.byteLength, context, state);
  options.onProgress?.({ loaded: result.size, total: result.size });
  return result;
}

/** `command` with `sha256` as its signed payload hash, when given. */
function withPayloadHash(command: PutObjectCommand, sha256: string | undefined): PutObjectCommand {
  if (sha256 === undefined) return command;
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[PAYLOAD_HASH_HEADER] = sha256;
      return next(args);
    },
    { step: 'build', name: 'stowagePayloadHash' },
  );
  return command;
}
