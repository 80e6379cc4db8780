/**
 * A tiny HTTP proxy in front of MinIO that counts requests by S3 operation, so
 * a run can show how many requests each contender makes per file. It forwards
 * every request unchanged (the Host header included, so SigV4 signatures made
 * for the proxy's address still verify) and adds latency, so it is used only
 * for the counting pass, never in timed runs.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy and what it counted so far. */
export interface CountingProxy {
  /** The endpoint clients use instead of MinIO's. */
  readonly endpoint: string;
  /** Requests per operation since the last reset, e.g. `{ PutObject: 2000, HeadObject: 2001 }`. */
  counts(): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

/** Names the S3 operation of a path-style request (`/bucket` or `/bucket/key`, with its query). */
function operationOf(method: string, url: string): string {
  const { pathname, searchParams } = new URL(url, 'http://proxy');
  const onObject = pathname.split('/').filter(Boolean).length > 1;
  const has = (name: string) => searchParams.has(name);
  switch (method) {
    case 'PUT':
      if (!onObject) return 'CreateBucket';
      if (has('partNumber') && has('uploadId')) return 'UploadPart';
      return 'PutObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      if (has('delete')) return 'DeleteObjects';
      return 'POST (other)';
    case 'DELETE':
      if (has('uploadId')) return 'AbortMultipartUpload';
      return onObject ? 'DeleteObject' : 'DeleteBucket';
    case 'HEAD':
      return onObject ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      if (onObject) return has('uploadId') ? 'ListParts' : 'GetObject';
      if (has('uploads')) return 'ListMultipartUploads';
      if (has('location')) return 'GetBucketLocation';
      return 'ListObjects';
    default:
      return `${method} (other)`;
  }
}

/** Starts a counting proxy on a free loopback port in front of `upstream` (an http:// endpoint). */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  let tally: Record<string, number> = {};
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const operation = operationOf(incoming.method ?? 'GET', incoming.url ?? '/');
    tally[operation] = (tally[operation] ?? 0) + 1;
    const upstreamRequest = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstreamRequest.on('error', () => outgoing.destroy());
    incoming.on('error', () => upstreamRequest.destroy());
    incoming.pipe(upstreamRequest);
  };
  const server: Server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...tally }),
    reset() {
      tally = {};
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
