/**
 * The HTTP ends of presigned URLs that a driver serves itself (the local
 * driver's file handler, the memory driver's URL server): how a refusal is
 * answered and how a verified upload is received. One copy, so every such
 * handler refuses and uploads alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, isStorageError } from './errors.js';
import type { StorageDriver } from './types.js';

/**
 * Answers with a short plain-text message, never cached. `connection: close`,
 * because the request body may be unread and must not be taken for the next
 * request. After headers went out, the connection is cut instead.
 */
export function replyText(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
    ...headers,
  });
  response.end(`${message}\n`);
}

/** Answers a storage failure by its code; messages of unexpected errors are not shown to clients. */
export function replyFailure(response: ServerResponse, error: unknown): void {
  if (isStorageError(error, ErrorCode.NotFound)) {
    replyText(response, 404, 'not found');
  } else if (isStorageError(error, ErrorCode.InvalidInput) || isStorageError(error, ErrorCode.InvalidKey)) {
    replyText(response, 400, error.message);
  } else if (isStorageError(error, ErrorCode.Aborted)) {
    replyText(response, 400, 'upload aborted');
  } else {
    replyText(response, 500, 'storage error');
  }
}

/**
 * Streams a verified PUT's body into `driver.write(key)` with the signed
 * content type and length, and answers 200 with the etag. A client that
 * disconnects mid-upload aborts the write, so nothing is stored. Errors are the
 * caller's to answer.
 */
export async function receiveUpload(
  driver: Pick<StorageDriver, 'write'>,
  key: string,
  request: IncomingMessage,
  response: ServerResponse,
  signed: { readonly contentType?: string | undefined; readonly contentLength?: number | undefined },
): Promise<void> {
  const aborter = new AbortController();
  const onClose = () => {
    if (!request.complete) aborter.abort(new Error('the client closed the connection mid-upload'));
  };
  request.once('close', onClose);
  try {
    const result = await driver.write(key, request, {
      contentType: signed.contentType,
      contentLength: signed.contentLength,
      signal: aborter.signal,
    });
    response.writeHead(200, { etag: result.etag ?? '', 'content-length': '0' }).end();
  } finally {
    request.off('close', onClose);
  }
}
