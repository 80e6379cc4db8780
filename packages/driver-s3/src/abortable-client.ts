/**
 * lib-storage's Upload sends every request (PutObject, CreateMultipartUpload,
 * UploadPart, CompleteMultipartUpload) without an abortSignal, so aborting it
 * only stops new parts: the ones in flight run until they finish or the request
 * timeout fires, which on a slow link is minutes. Upload calls nothing on its
 * client but `send` and `config`, so it gets a view of the driver's client whose
 * `send` adds the write's signal through the SDK's own `abortSignal` option,
 * which NodeHttpHandler honours by destroying the request. Nothing is added to
 * the command input, so nothing can reach the wire.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** The part of the SDK's HttpHandlerOptions this module touches (from @smithy/types, not a dependency here). */
interface SendOptions {
  readonly abortSignal?: AbortSignal;
}

type Send = (command: Parameters<S3Client['send']>[0], options?: SendOptions) => Promise<unknown>;

/**
 * A view of `client` (same config, middleware and sockets) whose requests are
 * cancelled when `signal` fires. A signal the caller passes to `send` still
 * counts: either one cancels.
 */
export function abortableClient(client: S3Client, signal: AbortSignal): S3Client {
  const send: Send = (command, options) => {
    const abortSignal = options?.abortSignal ? AbortSignal.any([options.abortSignal, signal]) : signal;
    return (client.send as Send)(command, { ...options, abortSignal });
  };
  // An own property shadows the prototype's send; everything else still reads through to the real client.
  return Object.create(client, { send: { value: send } }) as S3Client;
}
