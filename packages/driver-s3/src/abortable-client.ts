/**
 * lib-storage's Upload sends every request (PutObject, CreateMultipartUpload,
 * UploadPart, CompleteMultipartUpload) without an abortSignal, so aborting it
 * only stops new parts: the ones in flight run until they finish or the request
 * timeout fires, which on a slow link is minutes, and an aborted single-part
 * upload can still land in the bucket
 * (https://github.com/aws/aws-sdk-js-v3/issues/5109). Upload calls nothing on
 * its client but `send` and `config`, so it gets a view of the driver's client
 * whose `send` adds the write's signal through the SDK's own `abortSignal`
 * option, which NodeHttpHandler honours by destroying the request. Nothing is
 * added to the command input, so nothing can reach the wire.
 *
 * Both facts are lib-storage internals, not its API: the SDK packages are
 * pinned to exact versions, and test/sdk-canaries.test.ts fails when a bump
 * changes either (Upload touching more of its client, or passing its own
 * signal, as https://github.com/aws/aws-sdk-js-v3/pull/7322 proposes).
 */
import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';

/** The part of the SDK's HttpHandlerOptions this module touches (from @smithy/types, not a dependency here). */
interface SendOptions {
  readonly abortSignal?: AbortSignal;
}

type Send = (command: Parameters<S3Client['send']>[0], options?: SendOptions) => Promise<unknown>;

/**
 * A view of `client` (same config, middleware and sockets) whose requests are
 * cancelled when `signal` fires. A signal the caller passes to `send` still
 * counts: either one cancels. CreateMultipartUpload is the exception: it is a
 * small request, and cancelling it once sent can leave an upload the server
 * creates after the client stopped listening, whose id nobody ever learns (a
 * sweep that lists right after may not see it yet). Letting it finish gives the
 * write the id to abort.
 */
export function abortableClient(client: S3Client, signal: AbortSignal): S3Client {
  const send: Send = (command, options) => {
    if (command instanceof CreateMultipartUploadCommand) return (client.send as Send)(command, options);
    const abortSignal = options?.abortSignal ? AbortSignal.any([options.abortSignal, signal]) : signal;
    return (client.send as Send)(command, { ...options, abortSignal });
  };
  // An own property shadows the prototype's send; everything else still reads through to the real client.
  return Object.create(client, { send: { value: send } }) as S3Client;
}
