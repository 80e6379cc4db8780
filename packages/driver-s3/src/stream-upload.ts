/**
 * Bodies that are streams (their length maybe unknown) go through lib-storage's
 * Upload (a single PUT when they fit in one part, else a multipart upload with
 * uniform parts), through an IntegrityStream that counts and hashes them.
 * Bytes and files take the cheaper paths in put-bytes.ts and file-parts.ts.
 *
 * Two lib-storage internals are relied on here, with the SDK pinned to exact
 * versions and test/sdk-canaries.test.ts failing when a bump changes them:
 * - Upload's `done()` rejects as soon as the upload is aborted, while parts are
 *   still being sent, so control comes back before anything was cleaned up;
 *   abortUnfinished() waits on Upload's private `concurrentUploaders` for the
 *   parts in flight to settle, then aborts the upload id itself, so no part
 *   lands after the abort. Upstream, https://github.com/aws/aws-sdk-js-v3/pull/7322
 *   (open) makes Upload keep control until every pending request settled and
 *   cancel parts as soon as it is aborted.
 * - Upload reaches its client only through `send` and `config`, and sends its
 *   requests without an abortSignal (https://github.com/aws/aws-sdk-js-v3/issues/5109):
 *   the views of the client it gets (abortable-client.ts, trackingStores below)
 *   override only `send`.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { abortedError, type NormalizedBody, type WriteOptions, type WriteResult } from '@stowage/storage-core';
import { abortableClient } from './abortable-client.js';
import { type ErrorContext, outcomeUnknown, toStorageError } from './errors.js';
import { IntegrityStream } from './integrity.js';
import type { UploadTarget } from './upload.js';
import { abortUploadId } from './upload-cleanup.js';
import { partSizeFor, putParams } from './upload-params.js';
import { verifyWrite, type WriteState } from './write-check.js';

/** What one attempt sent. */
interface AttemptState {
  /** A multipart upload was created, or its creation may have happened (the answer was lost). */
  multipartStarted: boolean;
}

/**
 * A view of `client` that notes when a multipart upload was (or may have been)
 * created, and when a request that creates the object (PutObject,
 * CompleteMultipartUpload) fails without an HTTP answer: the server may have
 * acted on it. A request refused before it reached the server changes nothing.
 */
function trackingStores(client: S3Client, state: WriteState, attempt: AttemptState): S3Client {
  const send = async (command: Parameters<S3Client['send']>[0], options?: unknown) => {
    const creates = command instanceof CreateMultipartUploadCommand;
    try {
      const output = await (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      if (creates) attempt.multipartStarted = true;
      return output;
    } catch (error) {
      const unknown = outcomeUnknown(error);
      if (creates && unknown) attempt.multipartStarted = true;
      const stores = command instanceof PutObjectCommand || command instanceof CompleteMultipartUploadCommand;
      if (stores && unknown) state.uncertain = true;
      throw error;
    }
  };
  return Object.create(client, { send: { value: send } }) as S3Client;
}

/** One attempt at sending a stream body with lib-storage, then verifying it. */
export async function uploadStreamOnce(
  target: UploadTarget,
  source: NormalizedBody,
  length: number | undefined,
  options: WriteOptions,
  context: ErrorContext,
  cleanup: WriteState,
): Promise<WriteResult> {
  const { client, config, key } = target;
  const { signal } = options;
  if (signal?.aborted) {
    source.stream.destroy();
    throw abortedError(signal, key);
  }
  const partSize = partSizeFor(config, length);
  const integrity = new IntegrityStream(partSize, length, key);
  const attempt: AttemptState = { multipartStarted: false };
  source.stream.on('error', (error) => integrity.destroy(error));
  source.stream.pipe(integrity);

  const controller = new AbortController();
  const upload = new Upload({
    // Aborting must cancel the requests in flight too, not only stop new parts (see abortable-client.ts).
    client: trackingStores(abortableClient(client, controller.signal), cleanup, attempt),
    params: { ...putParams(target, options, length), Body: integrity },
    partSize,
    queueSize: config.queueSize,
    leavePartsOnError: false,
    abortController: controller,
  });
  if (options.onProgress) {
    const report = options.onProgress;
    upload.on('httpUploadProgress', (progress) => report({ loaded: progress.loaded ?? 0, total: length }));
  }
  const onAbort = () => {
    controller.abort();
    const reason = abortedError(signal as AbortSignal, key);
    integrity.destroy(reason);
    source.stream.destroy(reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let etag: string | undefined;
  try {
    const output = await upload.done();
    etag = output.ETag;
  } catch (error) {
    source.stream.destroy();
    if (!(await abortUnfinished(upload, target, attempt.multipartStarted))) {
      cleanup.sweepNeeded = true;
    }
    if (signal?.aborted) throw abortedError(signal, key);
    throw toStorageError(error, context);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const result = await verifyWrite(target, etag, integrity, integrity.bytes, context, cleanup);
  options.onProgress?.({ loaded: result.size, total: result.size });
  return result;
}

/**
 * Makes sure a failed multipart upload does not linger: waits for the parts in
 * flight to settle (after an abort they are cancelled, so this is quick), then
 * aborts the upload id on the cleanup client, retrying with backoff for up to
 * the cleanup window. lib-storage's own abort may have gone out (after a failed
 * part) or been cancelled with the write (after an abort); a second abort of a
 * gone upload is harmless. Returns false when an upload may be left open: the
 * abort kept failing, or the server created one whose id never reached us
 * (CreateMultipartUpload's answer was lost).
 */
async function abortUnfinished(upload: Upload, target: UploadTarget, multipartStarted: boolean): Promise<boolean> {
  const internals = upload as unknown as { concurrentUploaders?: Promise<unknown>[] };
  await Promise.allSettled(internals.concurrentUploaders ?? []);
  if (!upload.uploadId) return !multipartStarted;
  return abortUploadId(target, upload.uploadId);
}
