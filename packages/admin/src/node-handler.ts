/**
 * The adapter for `node:http` (and frameworks built on it, such as Express):
 * turns an IncomingMessage into a fetch `Request`, runs the admin handler
 * and writes its `Response` back. The request URL is built from the Host
 * header and whether the socket is TLS; forwarded headers are not trusted
 * (behind a proxy, list the public origin in `allowedOrigins`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { errorFacts, type Logger, silentLogger } from '@stowage/storage-core';
import type { AdminHandler } from './handler.js';

/** A `node:http` request listener. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** The fetch Request for a node:http request. */
export function toFetchRequest(incoming: IncomingMessage): Request {
  const secure = (incoming.socket as TLSSocket).encrypted === true;
  const origin = new URL(`${secure ? 'https' : 'http'}://${incoming.headers.host ?? 'localhost'}`).origin;
  const target = incoming.url ?? '/';
  // The origin comes from the Host header and the socket only; the request target gives the path and query.
  // Resolved as a URL instead, "//evil.example/x" (or an absolute-form target) would pick the origin the
  // same-origin check compares the request's Origin header with.
  const path = target.startsWith('/') ? undefined : new URL(target, origin);
  const url = new URL(path ? `${origin}${path.pathname}${path.search}` : `${origin}${target}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const method = incoming.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
    // Node's fetch needs this for a streamed request body.
    duplex: hasBody ? 'half' : undefined,
  } as RequestInit);
}

/** Writes a fetch Response to a node:http response. */
export async function writeFetchResponse(response: Response, outgoing: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  outgoing.writeHead(response.status, headers);
  if (!response.body) {
    outgoing.end();
    return;
  }
  for await (const chunk of response.body) outgoing.write(chunk);
  outgoing.end();
}

/**
 * A node:http listener that serves `handler`. Mount it where the handler's
 * `basePath` points (the request's full path is used, base path included).
 * A request whose Host header or target makes no URL answers 400; a failure
 * of the adapter itself answers 500 and is logged.
 */
export function toNodeHandler(handler: AdminHandler, options: { readonly logger?: Logger } = {}): NodeRequestListener {
  const logger = options.logger ?? silentLogger;
  return async (incoming, outgoing) => {
    let request: Request;
    try {
      request = toFetchRequest(incoming);
    } catch {
      // A Host header or request target that is no URL is the client's fault, not the adapter's: 400, not 500.
      outgoing.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      outgoing.end('bad request: the Host header or the request target is not a valid URL');
      return;
    }
    try {
      await writeFetchResponse(await handler(request), outgoing);
    } catch (error) {
      logger.error({ error: errorFacts(error) }, 'storage admin: the node:http adapter failed');
      if (!outgoing.headersSent) {
        outgoing.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      }
      outgoing.end();
    }
  };
}
