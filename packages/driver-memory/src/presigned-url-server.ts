/**
 * Serves a memory driver's presigned URLs with plain HTTP on 127.0.0.1, so
 * app tests can `fetch()` a download link or PUT a browser upload exactly as
 * they would against S3. Started on the first presign, stopped by the driver's
 * `close()`, and unref'd so it never keeps a test process alive.
 *
 * The process that signs is the process that serves, so a URL carries an
 * unguessable grant id instead of a signature: the grant (method, key, expiry,
 * and for PUT the exact content type and length) lives here. A URL whose key
 * was edited, whose grant expired or is unknown is refused with 403, a PUT
 * that sends another type or length with 400; refusals touch nothing.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKeyPath, receiveUpload, replyFailure, replyText, type StorageDriver } from '@stowage/storage-core';
import type { StoredObject } from './memory-bucket.js';

/** What one presigned URL allows. */
export interface Grant {
  readonly method: 'GET' | 'PUT';
  readonly key: string;
  /** Unix time in milliseconds after which the URL is refused. */
  readonly expiresAt: number;
  /** PUT: the upload must send exactly this Content-Type. */
  readonly contentType?: string | undefined;
  /** PUT: the upload must send exactly this many bytes. */
  readonly contentLength?: number | undefined;
  /** GET: Content-Disposition of the response. */
  readonly responseContentDisposition?: string | undefined;
  /** GET: Content-Type of the response, instead of the stored one. */
  readonly responseContentType?: string | undefined;
}

/** What the server needs of its driver: one consistent record per download, and the driver's own write. */
export interface ServedObjects {
  lookup(key: string): StoredObject | undefined;
  write: StorageDriver['write'];
}

const GRANT_PARAM = 'grant';

function keyOf(pathname: string): string | undefined {
  try {
    return pathname.slice(1).split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}

/** The tiny HTTP server behind a memory driver's presigned URLs. */
export class PresignedUrlServer {
  readonly #objects: ServedObjects;
  readonly #grants = new Map<string, Grant>();
  readonly #server: Server;
  #origin: Promise<string> | undefined;

  constructor(objects: ServedObjects) {
    this.#objects = objects;
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  /** The URL for `grant`, starting the server on a free loopback port if it is not listening yet. */
  async urlFor(grant: Grant): Promise<string> {
    const now = Date.now();
    for (const [id, old] of this.#grants) if (old.expiresAt < now) this.#grants.delete(id);
    const id = randomBytes(18).toString('base64url');
    this.#grants.set(id, grant);
    const url = new URL(`${await this.#listen()}/${encodeKeyPath(grant.key)}`);
    url.searchParams.set(GRANT_PARAM, id);
    return url.toString();
  }

  /** Stops serving; URLs handed out before stop working. Idempotent. */
  async close(): Promise<void> {
    this.#grants.clear();
    if (!this.#origin) return;
    this.#origin = undefined;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #listen(): Promise<string> {
    this.#origin ??= new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#server.unref();
        resolve(`http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`);
      });
    });
    return this.#origin;
  }

  /** The grant a request may act on, or the refusal it gets. */
  #verdict(request: IncomingMessage): Grant | { status: 400 | 403; reason: string } {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const grant = this.#grants.get(url.searchParams.get(GRANT_PARAM) ?? '');
    if (!grant || keyOf(url.pathname) !== grant.key)
      return { status: 403, reason: 'the URL is not signed for this key' };
    if (grant.expiresAt < Date.now()) return { status: 403, reason: 'the URL has expired' };
    const method = request.method ?? 'GET';
    const allowed = grant.method === 'GET' ? method === 'GET' || method === 'HEAD' : method === 'PUT';
    if (!allowed) return { status: 403, reason: `the URL is signed for ${grant.method}, not ${method}` };
    if (grant.method === 'PUT') {
      if (request.headers['content-type'] !== grant.contentType)
        return { status: 400, reason: `Content-Type must be exactly the signed "${grant.contentType}"` };
      if (request.headers['content-length'] !== String(grant.contentLength))
        return { status: 400, reason: `Content-Length must be exactly the signed ${grant.contentLength} bytes` };
    }
    return grant;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const grant = this.#verdict(request);
    if ('status' in grant) {
      replyText(response, grant.status, grant.reason);
      return;
    }
    try {
      if (grant.method === 'PUT') await receiveUpload(this.#objects, grant.key, request, response, grant);
      else this.#download(grant, request, response);
    } catch (error) {
      replyFailure(response, error);
    }
  }

  #download(grant: Grant, request: IncomingMessage, response: ServerResponse): void {
    // One record for headers and body: an overwrite in between cannot make them disagree.
    const object = this.#objects.lookup(grant.key);
    if (!object) {
      replyText(response, 404, 'not found');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': grant.responseContentType ?? object.contentType,
      'content-length': String(object.bytes.length),
      'last-modified': object.lastModified.toUTCString(),
      etag: object.etag,
    };
    if (object.cacheControl) headers['cache-control'] = object.cacheControl;
    const disposition = grant.responseContentDisposition ?? object.contentDisposition;
    if (disposition) headers['content-disposition'] = disposition;
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : object.bytes);
  }
}
