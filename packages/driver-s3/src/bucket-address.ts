/**
 * Where one bucket's objects are addressed on the wire, learnt once from the
 * SDK. Where an object lives does not depend on its key (the endpoint rules
 * take the bucket, never the key), so one presigned URL made by getSignedUrl
 * for a plain template key gives everything every later request to the bucket
 * shares: scheme, host, port, the path before the key and the signing region.
 * Requests built from it (get-url-signer.ts, direct-put.ts) skip the SDK's
 * per-request endpoint rules, serializers and middleware, which cost as much
 * CPU as a small upload's own request (bench/README.md).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** The key the template URL is made for: one plain path segment, so the path before it is unambiguous. */
const TEMPLATE_KEY = 'stowage-url-template';

/** What every request to one bucket's objects shares. */
export interface BucketAddress {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** The path before the key, ending in "/". */
  readonly pathPrefix: string;
  /** The query the SDK gives a plain GetObject besides the signature's: x-id, and x-amz-checksum-mode under WHEN_SUPPORTED. */
  readonly getObjectQuery: Readonly<Record<string, string>>;
  readonly region: string;
  /** The Host header as the SDK signs it: an explicit default port stays in it. */
  readonly host: string;
}

/** RFC 3986 escaping as the SDK does it (encodeURIComponent plus !'()*). */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The request path of `backendKey`: a greedy key label as the SDK's serializer writes it, each segment escaped, "/" kept. */
export function objectPath(address: BucketAddress, backendKey: string): string {
  return `${address.pathPrefix}${backendKey.split('/').map(escapeUri).join('/')}`;
}

/** Learns `bucket`'s address from `client` on first use; a failure is not cached. */
export function bucketAddressOnce(client: S3Client, bucket: string): () => Promise<BucketAddress> {
  let address: Promise<BucketAddress> | undefined;
  return () => {
    address ??= learnAddress(client, bucket).catch((error: unknown) => {
      address = undefined;
      throw error;
    });
    return address;
  };
}

async function learnAddress(client: S3Client, bucket: string): Promise<BucketAddress> {
  const signed = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: TEMPLATE_KEY }), {
    expiresIn: 60,
  });
  const url = new URL(signed);
  if (!url.pathname.endsWith(`/${TEMPLATE_KEY}`)) {
    throw new Error(`unexpected presigned URL path ${url.pathname}: the key is not its last segment`);
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!name.startsWith('X-Amz-')) query[name] = value;
  const credential = url.searchParams.get('X-Amz-Credential') ?? '';
  const region = credential.split('/')[2];
  if (!region) throw new Error('unexpected presigned URL: no signing region in its credential scope');
  // The authority as the SDK wrote it: URL() would drop an explicit default port, which the SDK signs into Host.
  const authority = /^[a-z]+:\/\/([^/?#]+)/i.exec(signed)?.[1] ?? url.host;
  const port = /^(.*[^\]]):(\d+)$|^(\[.*\]):(\d+)$/.exec(authority);
  return {
    protocol: url.protocol,
    hostname: port ? (port[1] ?? port[3] ?? authority) : authority,
    port: port ? Number(port[2] ?? port[4]) : undefined,
    pathPrefix: url.pathname.slice(0, -TEMPLATE_KEY.length),
    getObjectQuery: query,
    region,
    host: authority,
  };
}
