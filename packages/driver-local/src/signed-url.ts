/**
 * HMAC-SHA256 signed URLs for the local driver. The URL carries the key in its
 * path and the claims (method, expiry, and for PUT the exact content type and
 * length, for GET the response content-disposition/type) in its query; the
 * signature covers all of them, so changing any claim or the key invalidates it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { encodeKeyPath, keyProblem } from '@stowage/storage-core';

/** What a signed URL allows. */
export interface SignedUrlClaims {
  readonly method: 'GET' | 'PUT';
  readonly key: string;
  /** Expiry as Unix time in seconds. */
  readonly expires: number;
  /** PUT: the exact Content-Type the upload must send. */
  readonly contentType?: string;
  /** PUT: the exact number of bytes the upload must send. */
  readonly contentLength?: number;
  /** GET: Content-Disposition of the response. */
  readonly responseContentDisposition?: string;
  /** GET: Content-Type of the response, overriding the stored one. */
  readonly responseContentType?: string;
}

const PARAM = {
  method: 'X-Stowage-Method',
  expires: 'X-Stowage-Expires',
  contentType: 'X-Stowage-Content-Type',
  contentLength: 'X-Stowage-Content-Length',
  responseContentDisposition: 'response-content-disposition',
  responseContentType: 'response-content-type',
  signature: 'X-Stowage-Signature',
} as const;

function canonical(claims: SignedUrlClaims): string {
  return JSON.stringify([
    'stowage-local-v1',
    claims.method,
    claims.key,
    claims.expires,
    claims.contentType ?? null,
    claims.contentLength ?? null,
    claims.responseContentDisposition ?? null,
    claims.responseContentType ?? null,
  ]);
}

function sign(secret: string, claims: SignedUrlClaims): Buffer {
  return createHmac('sha256', secret).update(canonical(claims)).digest();
}

/** Removes trailing slashes from a URL path ("" for the root). */
export function normalizeBasePath(path: string): string {
  return path.replace(/\/+$/, '');
}

/** Builds the signed URL for `claims` under `baseUrl` (where the file handler is mounted). */
export function signLocalUrl(secret: string, baseUrl: string, claims: SignedUrlClaims): string {
  const url = new URL(baseUrl);
  url.pathname = `${normalizeBasePath(url.pathname)}/${encodeKeyPath(claims.key)}`;
  const query = url.searchParams;
  query.set(PARAM.method, claims.method);
  query.set(PARAM.expires, String(claims.expires));
  if (claims.contentType !== undefined) query.set(PARAM.contentType, claims.contentType);
  if (claims.contentLength !== undefined) query.set(PARAM.contentLength, String(claims.contentLength));
  if (claims.responseContentDisposition !== undefined) {
    query.set(PARAM.responseContentDisposition, claims.responseContentDisposition);
  }
  if (claims.responseContentType !== undefined) query.set(PARAM.responseContentType, claims.responseContentType);
  query.set(PARAM.signature, sign(secret, claims).toString('base64url'));
  return url.toString();
}

/** The request a route received, as far as verification needs it. */
export interface SignedRequest {
  readonly method: string;
  /** The request URL: absolute, or path and query as in `IncomingMessage.url`. */
  readonly url: string;
  /** Needed for PUT: Content-Type and Content-Length are checked against the signed ones. */
  readonly headers?: IncomingHttpHeaders | Headers;
}

export interface VerifyOptions {
  readonly secret: string;
  /** URL path under which keys start, e.g. "/files" for URLs like /files/a/b.png. */
  readonly basePath: string;
  readonly now?: Date;
}

/** The verdict on a signed request: the claims it may act on, or the status and reason to refuse with. */
export type SignedUrlVerdict =
  | { readonly ok: true; readonly claims: SignedUrlClaims }
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string };

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as IncomingHttpHeaders)[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function refuse(status: 400 | 403 | 404, reason: string): SignedUrlVerdict {
  return { ok: false, status, reason };
}

function keyFromPath(pathname: string, basePath: string): string | SignedUrlVerdict {
  const base = normalizeBasePath(basePath);
  if (!pathname.startsWith(`${base}/`)) return refuse(404, 'not a signed file URL');
  let key: string;
  try {
    key = pathname
      .slice(base.length + 1)
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
  } catch {
    return refuse(400, 'the URL path is not valid percent-encoding');
  }
  const problem = keyProblem(key);
  return problem ? refuse(400, problem) : key;
}

function claimsFromQuery(key: string, query: URLSearchParams): SignedUrlClaims | SignedUrlVerdict {
  const method = query.get(PARAM.method);
  const expires = Number(query.get(PARAM.expires));
  if ((method !== 'GET' && method !== 'PUT') || !Number.isSafeInteger(expires)) {
    return refuse(403, 'the URL is not signed');
  }
  const length = query.get(PARAM.contentLength);
  const optional = (name: string) => query.get(name) ?? undefined;
  return {
    method,
    key,
    expires,
    contentType: optional(PARAM.contentType),
    contentLength: length === null ? undefined : Number(length),
    responseContentDisposition: optional(PARAM.responseContentDisposition),
    responseContentType: optional(PARAM.responseContentType),
  };
}

/**
 * Checks a request against its signed URL: signature (constant-time compare),
 * expiry, method (HEAD is allowed on GET URLs) and, for PUT, that the request's
 * Content-Type and Content-Length are exactly the signed ones. Call it in the
 * route before touching storage; act only on the returned claims.
 */
export function verifyLocalSignedUrl(request: SignedRequest, options: VerifyOptions): SignedUrlVerdict {
  let url: URL;
  try {
    url = new URL(request.url, 'http://localhost');
  } catch {
    return refuse(400, 'the URL cannot be parsed');
  }
  const key = keyFromPath(url.pathname, options.basePath);
  if (typeof key !== 'string') return key;
  const claims = claimsFromQuery(key, url.searchParams);
  if ('ok' in claims) return claims;

  const given = Buffer.from(url.searchParams.get(PARAM.signature) ?? '', 'base64url');
  const expected = sign(options.secret, claims);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse(403, 'the URL signature does not match');
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (claims.expires < now) return refuse(403, 'the URL has expired');

  const method = request.method.toUpperCase();
  const allowed = claims.method === 'GET' ? method === 'GET' || method === 'HEAD' : method === 'PUT';
  if (!allowed) return refuse(403, `the URL is signed for ${claims.method}, not ${method}`);

  if (claims.method === 'PUT') {
    const type = header(request.headers, 'content-type');
    if (type !== claims.contentType) {
      return refuse(400, `Content-Type must be exactly the signed "${claims.contentType}"`);
    }
    const length = header(request.headers, 'content-length');
    if (length === undefined || !/^\d+$/.test(length) || Number(length) !== claims.contentLength) {
      return refuse(400, `Content-Length must be exactly the signed ${claims.contentLength} bytes`);
    }
  }
  return { ok: true, claims };
}
