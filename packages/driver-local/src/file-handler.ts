import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { type ObjectStat, receiveUpload, replyFailure, replyText } from '@stowage/storage-core';
import type { LocalDriver } from './local-driver.js';

/** Options of `createLocalFileHandler`. */
export interface LocalFileHandlerOptions {
  /** URL path where keys start; defaults to the path of the driver's `signedUrlBaseUrl`. */
  basePath?: string;
}

/** A node:http request handler (also usable as Express/Connect middleware). */
export type LocalFileHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Parses a single `bytes=` range; undefined when absent or not a form we serve (then the whole file is sent). */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

function objectHeaders(stat: ObjectStat, contentType: string | undefined, disposition: string | undefined) {
  const headers: Record<string, string> = {
    'content-type': contentType ?? stat.contentType ?? 'application/octet-stream',
    'last-modified': stat.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  if (stat.etag) headers.etag = stat.etag;
  if (stat.cacheControl) headers['cache-control'] = stat.cacheControl;
  if (disposition) headers['content-disposition'] = disposition;
  return headers;
}

/**
 * A ready-made route for the local driver's presigned URLs: GET/HEAD (with a
 * single byte range) and PUT. Every request is verified first (signature,
 * expiry, method, and for PUT the signed Content-Type and Content-Length);
 * refusals answer 403 or 400 and touch nothing. Uploads go through
 * `driver.write`, so they are atomic and a dropped connection stores nothing.
 */
export function createLocalFileHandler(driver: LocalDriver, options: LocalFileHandlerOptions = {}): LocalFileHandler {
  const basePath = options.basePath ?? driver.signedUrlBasePath;
  if (basePath === undefined) {
    throw new TypeError('createLocalFileHandler: the driver has no signing settings (signingSecret, signedUrlBaseUrl)');
  }
  return async (request, response) => {
    const verdict = driver.verifySignedRequest(
      { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers },
      basePath,
    );
    if (!verdict.ok) {
      replyText(response, verdict.status, verdict.reason);
      return;
    }
    const { claims } = verdict;
    try {
      if (claims.method === 'PUT') {
        await receiveUpload(driver, claims.key, request, response, claims);
        return;
      }
      const stat = await driver.stat(claims.key);
      const headers = objectHeaders(stat, claims.responseContentType, claims.responseContentDisposition);
      const range = parseRange(request.headers.range, stat.size);
      if (range === 'unsatisfiable') {
        replyText(response, 416, 'range not satisfiable', { 'content-range': `bytes */${stat.size}` });
        return;
      }
      const length = range ? range.end - range.start + 1 : stat.size;
      if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${stat.size}`;
      headers['content-length'] = String(length);
      response.writeHead(range ? 206 : 200, headers);
      if (request.method === 'HEAD' || length === 0) {
        response.end();
        return;
      }
      const body = await driver.read(claims.key, range ? { range } : {});
      await pipeline(body, response);
    } catch (error) {
      replyFailure(response, error);
    }
  };
}
