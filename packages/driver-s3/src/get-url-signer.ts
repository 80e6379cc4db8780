/**
 * Presigned GET URLs without the SDK's request pipeline per URL. getSignedUrl
 * clones the client's middleware stack, evaluates the endpoint rules and runs
 * the serializers for every URL: about 0.6 ms of CPU each on the bench
 * machine, as much as a small upload's own request (offload builds a URL for
 * every result; bench/README.md). Every URL here is the bucket's address
 * (bucket-address.ts) with the key encoded as the SDK encodes it, signed by one
 * reused SigV4 presigner. test/presign-fast.test.ts proves the URLs identical
 * to getSignedUrl's for the same signing date, for every addressing style.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { type BucketAddress, escapeUri, objectPath } from './bucket-address.js';

/** Signs GET URLs for one client and bucket; see the module comment. */
export class GetUrlSigner {
  readonly #client: S3Client;
  readonly #address: () => Promise<BucketAddress>;
  #presigner: S3RequestPresigner | undefined;

  /** `address` is the bucket's, learnt through `client` (bucketAddressOnce). */
  constructor(client: S3Client, address: () => Promise<BucketAddress>) {
    this.#client = client;
    this.#address = address;
  }

  /** A GET URL for `backendKey`, valid `expiresIn` seconds from `signingDate` (default now). */
  async sign(backendKey: string, expiresIn: number, signingDate?: Date): Promise<string> {
    const address = await this.#address();
    this.#presigner ??= new S3RequestPresigner({
      ...this.#client.config,
      signingName: 's3',
      region: async () => address.region,
    });
    const presigned = await this.#presigner.presign(
      {
        method: 'GET',
        protocol: address.protocol,
        hostname: address.hostname,
        port: address.port,
        path: objectPath(address, backendKey),
        query: { ...address.getObjectQuery },
        headers: {},
      },
      { expiresIn, signingRegion: address.region, signingService: 's3', ...(signingDate ? { signingDate } : {}) },
    );
    return formatUrl(presigned);
  }
}

/** A signed request as a URL, as the SDK's formatUrl writes it (sorted, escaped query). */
function formatUrl(request: {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query?: Record<string, string | string[] | null>;
}): string {
  const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
  const pairs: string[] = [];
  for (const name of Object.keys(request.query ?? {}).sort()) {
    const value = request.query?.[name];
    if (value === null || value === undefined) pairs.push(escapeUri(name));
    else for (const item of Array.isArray(value) ? value : [value]) pairs.push(`${escapeUri(name)}=${escapeUri(item)}`);
  }
  return `${request.protocol}//${host}${request.path}${pairs.length > 0 ? `?${pairs.join('&')}` : ''}`;
}
