/**
 * Presigned GET URLs without the SDK's request pipeline per URL. getSignedUrl
 * clones the client's middleware stack, evaluates the endpoint rules and runs
 * the serializers for every URL: about 0.6 ms of CPU each on the bench
 * machine, as much as a small upload's own request (offload builds a URL for
 * every result; bench/README.md). Where an object lives does not depend on its
 * key (the endpoint rules take the bucket, never the key), so the first URL is
 * made by getSignedUrl and serves as the template: scheme, host, port, the path
 * before the key, the query the SDK adds, and the signing region. Every later
 * URL is that template with the key encoded as the SDK encodes it, signed by one
 * reused SigV4 presigner. test/presign-fast.test.ts proves the URLs identical
 * to getSignedUrl's for the same signing date, for every addressing style.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl, S3RequestPresigner } from '@aws-sdk/s3-request-presigner';

/** The key the template URL is made for: one plain path segment, so the path before it is unambiguous. */
const TEMPLATE_KEY = 'stowage-url-template';

/** What every GET URL of one bucket shares. */
interface UrlTemplate {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** The path before the key, ending in "/". */
  readonly pathPrefix: string;
  /** Query parameters the SDK adds besides the signature's (x-id=GetObject). */
  readonly query: Readonly<Record<string, string>>;
  readonly region: string;
}

/** RFC 3986 escaping as the SDK does it (encodeURIComponent plus !'()*). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A greedy key label as the SDK's serializer writes it into the path: each segment escaped, "/" kept. */
function keyPath(backendKey: string): string {
  return backendKey.split('/').map(escapeUri).join('/');
}

/** Signs GET URLs for one client and bucket; see the module comment. */
export class GetUrlSigner {
  readonly #client: S3Client;
  readonly #bucket: string;
  #template: Promise<UrlTemplate> | undefined;
  #presigner: S3RequestPresigner | undefined;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  /** A GET URL for `backendKey`, valid `expiresIn` seconds from `signingDate` (default now). */
  async sign(backendKey: string, expiresIn: number, signingDate?: Date): Promise<string> {
    const template = await this.#templateOnce();
    this.#presigner ??= new S3RequestPresigner({
      ...this.#client.config,
      signingName: 's3',
      region: async () => template.region,
    });
    const presigned = await this.#presigner.presign(
      {
        method: 'GET',
        protocol: template.protocol,
        hostname: template.hostname,
        port: template.port,
        path: `${template.pathPrefix}${keyPath(backendKey)}`,
        query: { ...template.query },
        headers: {},
      },
      { expiresIn, signingRegion: template.region, signingService: 's3', ...(signingDate ? { signingDate } : {}) },
    );
    return formatUrl(presigned);
  }

  #templateOnce(): Promise<UrlTemplate> {
    this.#template ??= this.#makeTemplate().catch((error: unknown) => {
      this.#template = undefined;
      throw error;
    });
    return this.#template;
  }

  async #makeTemplate(): Promise<UrlTemplate> {
    const command = new GetObjectCommand({ Bucket: this.#bucket, Key: TEMPLATE_KEY });
    const signed = await getSignedUrl(this.#client, command, { expiresIn: 60 });
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
      query,
      region,
    };
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
