/**
 * PutObject for a body already in memory, without the SDK's per-request
 * pipeline. Each `client.send` resolves a fresh middleware stack, evaluates the
 * endpoint rules, serializes, adds user-agent and retry headers and parses the
 * answer through its deserializers: 0.8-1.3 ms of CPU per small PUT on the bench
 * machine against 0.3-0.4 ms for the same signed request sent directly
 * (bench/README.md), which on small files is most of what separates offload
 * from the raw SDK.
 *
 * Everything that decides what reaches the server stays the SDK's: the
 * bucket's address (bucket-address.ts), the client's own SigV4 signer
 * (`config.signer`, with its credentials, clock offset and S3 path rules) and
 * its HTTP handler (`config.requestHandler`: the same sockets, TLS options,
 * timeouts and abort). What is left is mapping the parameters to their headers,
 * which S3 defines, and reading the answer: an ETag, or an XML error shaped
 * into what the SDK would have thrown, so errors.ts maps both the same way.
 * test/direct-put.test.ts pins the requests against the SDK's own.
 */
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { type BucketAddress, objectPath } from './bucket-address.js';
import { notS3Answer, notS3Error } from './not-s3.js';

/** The headers each PutObject parameter is sent as (the S3 REST API's names, as the SDK's serializer writes them). */
const HEADER_OF = {
  ContentType: 'content-type',
  ContentLength: 'content-length',
  CacheControl: 'cache-control',
  ContentDisposition: 'content-disposition',
  IfNoneMatch: 'if-none-match',
  ACL: 'x-amz-acl',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
} as const satisfies Partial<Record<keyof PutObjectCommandInput, string>>;

/** Parameters that are not headers: they go into the path, or are the metadata and body handled on their own. */
const NOT_HEADERS = new Set(['Bucket', 'Key', 'Metadata', 'Body']);

/** The header that carries the signed payload hash; SigV4 takes it as given when set (@smithy/signature-v4 getPayloadHash). */
export const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

/**
 * Names the client in server logs, and gets it past proxies in front of
 * S3-compatibles that turn away requests with none. Not signed (SigV4 never
 * signs user-agent), so nothing else depends on it.
 */
const USER_AGENT = 'stowage-driver-s3';

/** An error answer is read up to this many bytes: S3's XML errors are well under 1 KiB. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** The parts of the SDK's HTTP types this module uses (from @smithy/types, not a dependency here). */
interface WireRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Uint8Array;
}
interface WireResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | undefined>;
  readonly body?: AsyncIterable<Uint8Array>;
}
interface Signer {
  sign(
    request: WireRequest,
    options: { signingDate: Date; signingRegion: string; signingService: string },
  ): Promise<WireRequest>;
}
interface Handler {
  handle(request: WireRequest, options: { abortSignal?: AbortSignal }): Promise<{ response: WireResponse }>;
}

/** The headers of a PutObject with `params`; throws on a parameter this module does not send. */
export function putHeaders(params: PutObjectCommandInput): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || NOT_HEADERS.has(name)) continue;
    const header = HEADER_OF[name as keyof typeof HEADER_OF];
    if (!header) throw new Error(`direct PutObject does not send the ${name} parameter`);
    headers[header] = String(value);
  }
  for (const [name, value] of Object.entries(params.Metadata ?? {}))
    headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  return headers;
}

/** Sends PutObject requests for one client and bucket; see the module comment. */
export class DirectPut {
  readonly #client: S3Client;
  readonly #address: () => Promise<BucketAddress>;
  #signer: Promise<Signer> | undefined;

  /** `address` is the bucket's, learnt through `client` or a client with the same endpoint (bucketAddressOnce). */
  constructor(client: S3Client, address: () => Promise<BucketAddress>) {
    this.#client = client;
    this.#address = address;
  }

  /**
   * Stores `body` under `params.Key` in the bucket the address is for
   * (`params.Bucket` names the same one); `sha256` (hex), when given, is signed as
   * the payload hash instead of hashing the body again. Resolves with the ETag
   * the server answered; rejects with what the SDK would have thrown.
   */
  async send(
    params: PutObjectCommandInput,
    body: Uint8Array,
    sha256: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ ETag: string | undefined }> {
    const address = await this.#address();
    const config = this.#client.config;
    const headers: Record<string, string> = {
      'content-length': String(body.byteLength),
      ...putHeaders(params),
      host: address.host,
      'user-agent': USER_AGENT,
    };
    if (sha256 !== undefined) headers[PAYLOAD_HASH_HEADER] = sha256;
    if (!this.#signer) {
      const made = config.signer({
        name: 'sigv4',
        signingName: 's3',
        signingRegion: address.region,
        properties: {},
      }) as unknown as Promise<Signer>;
      this.#signer = made;
      made.catch(() => {
        if (this.#signer === made) this.#signer = undefined; // a failure to make the signer is not kept for every later PUT
      });
    }
    const signed = await (await this.#signer).sign(
      {
        method: 'PUT',
        protocol: address.protocol,
        hostname: address.hostname,
        port: address.port,
        path: objectPath(address, params.Key ?? ''),
        query: { 'x-id': 'PutObject' },
        headers,
        body,
      },
      {
        signingDate: new Date(Date.now() + (config.systemClockOffset ?? 0)),
        signingRegion: address.region,
        signingService: 's3',
      },
    );
    // Read per request, like the SDK's own send: a handler swapped on the client applies here too.
    const handler = config.requestHandler as unknown as Handler;
    const { response } = await handler.handle(signed, signal ? { abortSignal: signal } : {});
    const answer = await readBody(response, response.statusCode < 300 ? 0 : ERROR_BODY_LIMIT);
    const problem = notS3Answer('PutObjectCommand', response);
    if (problem) throw notS3Error(problem, response.statusCode);
    if (response.statusCode >= 300) throw s3ErrorOf(response, answer);
    return { ETag: response.headers.etag };
  }
}

/** The body, read to its end (so the socket goes back to the pool) and kept up to `limit` bytes. */
async function readBody(response: WireResponse, limit: number): Promise<string> {
  const kept: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    if (size < limit) kept.push(chunk.subarray(0, limit - size));
    size += chunk.byteLength;
  }
  return Buffer.concat(kept).toString('utf8');
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of `<tag>` in S3's XML error document. */
function xmlText(xml: string, tag: string): string | undefined {
  const text = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  return text?.replace(/&(amp|lt|gt|quot|apos);/g, (_, entity: string) => XML_ENTITIES[entity] ?? '');
}

/**
 * An S3 error answer as the SDK throws it: named by its XML Code (by the
 * status when the body has none), its Message as message, the status in
 * `$metadata`.
 */
function s3ErrorOf(response: WireResponse, xml: string): Error {
  const code = xmlText(xml, 'Code') ?? String(response.statusCode);
  const error = new Error(xmlText(xml, 'Message') ?? code);
  return Object.assign(error, {
    name: code,
    $fault: response.statusCode >= 500 ? 'server' : 'client',
    $metadata: {
      httpStatusCode: response.statusCode,
      requestId: xmlText(xml, 'RequestId') ?? response.headers['x-amz-request-id'],
    },
  });
}
