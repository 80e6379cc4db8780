/**
 * Builds the S3Client for a driver: a keep-alive HTTP handler with sockets sized
 * to the write concurrency × parts per write and timeouts that throw, SDK retries off (the
 * driver's p-retry layer is the only one), the preset's checksum mode, and the
 * driver's logger in place of the SDK's console fallback.
 */
import type { AgentOptions as HttpsAgentOptions } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type BucketAddress, bucketAddressOnce } from './bucket-address.js';
import type { S3DriverConfig } from './config.js';
import { DirectPut } from './direct-put.js';
import { GetUrlSigner } from './get-url-signer.js';
import { rejectNonS3Answers } from './not-s3.js';
import type { ChecksumMode } from './presets.js';
import type { SdkLogger } from './sdk-logger.js';

/** Knobs that are not user settings: for wrappers (R2) and tests. */
export interface S3ClientOptions {
  /** Remove `Expect: 100-continue` (R2 does not answer it, so every big body waits for a timeout). */
  readonly disableExpectContinue?: boolean;
  /** Milliseconds added to the local clock when signing; tests use it to produce clock skew. */
  readonly systemClockOffset?: number;
  /** Extra TLS options for https endpoints, e.g. `ca` for a private certificate authority. */
  readonly tls?: Pick<HttpsAgentOptions, 'ca' | 'rejectUnauthorized' | 'servername'>;
  /** Concurrent requests the driver may make besides uploads' parts; default SOCKET_HEADROOM. */
  readonly concurrency?: number;
  /** Where the SDK and its HTTP handler log (sdk-logger.ts); the S3 driver always sets it. */
  readonly logger?: SdkLogger;
}

/** Sockets kept beyond the writes' parts, for reads, stats, listings and multipart bookkeeping next to them. */
export const SOCKET_HEADROOM = 8;

/**
 * Sockets for a config: every concurrent write can keep `queueSize` parts in
 * flight, plus headroom, so no part waits for a socket, which the SDK reports
 * as "socket usage at capacity" (https://github.com/aws/aws-sdk-js-v3/issues/7027;
 * docs/architecture.md, "The S3 driver and the AWS SDK").
 */
export function maxSocketsFor(
  config: Pick<S3DriverConfig, 'maxConcurrentWrites' | 'queueSize'>,
  headroom = SOCKET_HEADROOM,
): number {
  return config.maxConcurrentWrites * config.queueSize + headroom;
}

/** Creates the SDK client for `config`. No network I/O happens here. */
export function createS3Client(
  config: S3DriverConfig,
  options: S3ClientOptions = {},
  checksumMode: ChecksumMode = config.checksumMode,
): S3Client {
  const maxSockets = maxSocketsFor(config, options.concurrency);
  const agentOptions = { keepAlive: true, maxSockets };
  const requestHandler = new NodeHttpHandler({
    httpAgent: agentOptions,
    httpsAgent: { ...agentOptions, ...options.tls },
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: config.idleTimeoutMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const clientConfig: S3ClientConfig = {
    region: config.region,
    credentials: config.credentials,
    forcePathStyle: config.forcePathStyle,
    maxAttempts: 1,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    requestHandler,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(options.systemClockOffset ? { systemClockOffset: options.systemClockOffset } : {}),
  };
  const client = new S3Client(clientConfig);
  rejectNonS3Answers(client);
  if (options.disableExpectContinue) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) {
          delete request.headers.Expect;
          delete request.headers.expect;
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'stowageDisableExpectContinue' },
    );
  }
  return client;
}

/**
 * The SDK clients of one driver: the main one, a presigning one with
 * WHEN_REQUIRED checksums (a WHEN_SUPPORTED client would sign the CRC32 of an
 * empty body into PUT URLs), and one with long timeouts for cleaning up after
 * a failed upload; and the two request builders that skip the SDK's pipeline
 * on hot paths (GET URLs, small PUTs), sharing the bucket's address. All but
 * the main client are built on first use. Credentials live only inside the
 * clients, held in `#private` fields.
 */
export class S3Clients {
  readonly #config: S3DriverConfig;
  readonly #options: S3ClientOptions;
  readonly #main: S3Client;
  #presign: S3Client | undefined;
  #cleanup: S3Client | undefined;
  #address: (() => Promise<BucketAddress>) | undefined;
  #getUrls: GetUrlSigner | undefined;
  #directPut: DirectPut | undefined;

  constructor(config: S3DriverConfig, options: S3ClientOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.#main = createS3Client(config, options);
  }

  /** The client every request goes through. */
  get main(): S3Client {
    return this.#main;
  }

  /** The client presigned URLs are made with. */
  presign(): S3Client {
    if (this.#config.checksumMode === 'WHEN_REQUIRED') return this.#main;
    this.#presign ??= createS3Client(this.#config, this.#options, 'WHEN_REQUIRED');
    return this.#presign;
  }

  /** Signs plain GET URLs through the presigning client (get-url-signer.ts). */
  getUrls(): GetUrlSigner {
    this.#getUrls ??= new GetUrlSigner(this.presign(), this.#bucketAddress());
    return this.#getUrls;
  }

  /**
   * Sends small PutObjects through the main client (direct-put.ts); undefined
   * under WHEN_SUPPORTED checksums, whose CRC32 headers only the SDK's pipeline adds.
   */
  directPut(): DirectPut | undefined {
    if (this.#config.checksumMode !== 'WHEN_REQUIRED') return undefined;
    this.#directPut ??= new DirectPut(this.#main, this.#bucketAddress());
    return this.#directPut;
  }

  // Learnt through the presigning client: the endpoint rules are the same for every client of the driver.
  #bucketAddress(): () => Promise<BucketAddress> {
    this.#address ??= bucketAddressOnce(this.presign(), this.#config.bucket);
    return this.#address;
  }

  /**
   * Aborting a failed upload must outlast the fault that failed it: a link slow
   * enough to time the upload out times out its cleanup too, under the same
   * request and idle timeouts. `minTimeoutMs` is the least either gets.
   */
  cleanup(minTimeoutMs: number): S3Client {
    this.#cleanup ??= createS3Client(
      {
        ...this.#config,
        requestTimeoutMs: Math.max(this.#config.requestTimeoutMs, minTimeoutMs),
        idleTimeoutMs: Math.max(this.#config.idleTimeoutMs, minTimeoutMs),
      },
      this.#options,
    );
    return this.#cleanup;
  }

  /** Closes the keep-alive sockets of every client built. */
  destroy(): void {
    this.#main.destroy();
    this.#presign?.destroy();
    this.#cleanup?.destroy();
  }
}
