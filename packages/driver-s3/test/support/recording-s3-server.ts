/**
 * A real local HTTP server that answers the handful of S3 calls a write needs
 * (PutObject, multipart, HeadObject, DeleteObject, ListObjectsV2, PutBucketCors,
 * CopyObject) and records every request as it arrived on the wire. Tests use it
 * to pin the exact requests drivers build; it is not a mock of the SDK.
 *
 * `routeClientTo` lets a client keep its real endpoint (e.g. an R2 or Wasabi
 * host): its HTTP handler, which every signed request reaches, records the
 * request as built, then sends it to this server instead, with the signed Host
 * header intact.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names lower-cased, as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBytes: number;
  readonly body: Buffer;
}

/** A request as the SDK built it, before it was rerouted to the recording server. */
export interface BuiltRequest {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RecordingServerOptions {
  /** ETag to answer for a PutObject/UploadPart body; default its hex MD5 (what S3 does). */
  etagFor?: (body: Buffer) => string;
  /** Status and S3 error code to answer every request with, e.g. [501, 'NotImplemented']. */
  failWith?: readonly [number, string];
}

export interface RecordingS3Server {
  readonly endpoint: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest();

function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/xml', ...headers });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

/** Starts the server on a free loopback port. */
export async function startRecordingS3Server(options: RecordingServerOptions = {}): Promise<RecordingS3Server> {
  const requests: RecordedRequest[] = [];
  const sizes = new Map<string, number>();
  const uploads = new Map<string, Buffer[]>();
  const etagFor = options.etagFor ?? ((body: Buffer) => md5(body).toString('hex'));

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://recorder');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers,
      bodyBytes: body.length,
      body,
    });
    if (options.failWith) {
      const [status, code] = options.failWith;
      xml(res, status, `<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
      return;
    }
    const q = url.searchParams;
    const objectPath = decodeURIComponent(url.pathname);
    if (req.method === 'POST' && q.has('uploads')) {
      const uploadId = randomUUID();
      uploads.set(uploadId, []);
      xml(res, 200, `<InitiateMultipartUploadResult><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    } else if (req.method === 'PUT' && q.has('partNumber')) {
      const parts = uploads.get(q.get('uploadId') ?? '') ?? [];
      parts[Number(q.get('partNumber')) - 1] = body;
      res.writeHead(200, { etag: `"${etagFor(body)}"` }).end();
    } else if (req.method === 'POST' && q.has('uploadId')) {
      const parts = uploads.get(q.get('uploadId') ?? '') ?? [];
      const combined = createHash('md5');
      for (const part of parts) combined.update(md5(part));
      sizes.set(
        objectPath,
        parts.reduce((total, part) => total + part.length, 0),
      );
      xml(
        res,
        200,
        `<CompleteMultipartUploadResult><ETag>"${combined.digest('hex')}-${parts.length}"</ETag></CompleteMultipartUploadResult>`,
      );
    } else if (req.method === 'PUT' && headers['x-amz-copy-source']) {
      xml(res, 200, `<CopyObjectResult><ETag>"${md5(Buffer.alloc(0)).toString('hex')}"</ETag></CopyObjectResult>`);
    } else if (req.method === 'PUT') {
      sizes.set(objectPath, body.length);
      res.writeHead(200, { etag: `"${etagFor(body)}"` }).end();
    } else if (req.method === 'HEAD') {
      const size = sizes.get(objectPath);
      if (size === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': String(size), 'last-modified': new Date().toUTCString() }).end();
    } else if (req.method === 'DELETE') {
      sizes.delete(objectPath);
      res.writeHead(204).end();
    } else if (req.method === 'GET' && q.get('list-type') === '2') {
      xml(res, 200, '<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>');
    } else {
      res.writeHead(200).end();
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Records every request `client` builds (after signing) into `built`, then
 * sends it to `server` instead of its real host. The Host header keeps the real
 * host, so the signature stays what it would have been.
 */
export function routeClientTo(client: S3Client, server: RecordingS3Server, built: BuiltRequest[]): void {
  const handler = client.config.requestHandler as unknown as { handle(request: unknown, options?: unknown): unknown };
  const handle = (request: WireRequest, options?: unknown) => {
    built.push({
      protocol: request.protocol,
      hostname: request.hostname,
      port: request.port,
      path: request.path,
      query: { ...(request.query ?? {}) },
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    });
    request.protocol = 'http:';
    request.hostname = '127.0.0.1';
    request.port = server.port;
    return handler.handle(request, options);
  };
  // The handler every request of the client goes through, the SDK's pipeline and direct-put.ts alike.
  Object.assign(client.config, { requestHandler: Object.create(handler, { handle: { value: handle } }) });
}

/** The fields of a signed request this helper reads and reroutes. */
interface WireRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
}
