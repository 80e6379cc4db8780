/**
 * CORS for browser uploads to R2: a policy allowing PUT, GET and HEAD from the
 * given origins, exposing ETag (browser multipart needs it), with a max age.
 * Origins are checked to be exactly what a browser sends (scheme, host, port; no
 * path or trailing slash), because R2 compares them literally.
 */
import { type CORSConfiguration, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { type S3Driver, toStorageError } from '@stowage/driver-s3';
import { ConfigError } from '@stowage/storage-core';

export type R2CorsMethod = 'GET' | 'PUT' | 'HEAD' | 'POST' | 'DELETE';

export interface R2CorsOptions {
  /** Origins allowed to call the bucket, e.g. https://app.example.com; "*" alone allows any. */
  readonly origins: readonly string[];
  /** Seconds browsers may cache the preflight answer. Default 3600. */
  readonly maxAgeSeconds?: number;
  /** Default PUT, GET, HEAD. */
  readonly methods?: readonly R2CorsMethod[];
  /** Request headers browsers may send. Default content-type. */
  readonly allowedHeaders?: readonly string[];
}

const METHODS: readonly R2CorsMethod[] = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];
const MAX_AGE_LIMIT = 86_400;

/** Returns why `origin` is not a valid CORS origin, or undefined. */
export function corsOriginProblem(origin: unknown): string | undefined {
  if (origin === '*') return undefined;
  if (typeof origin !== 'string' || origin === '') return 'must be a non-empty string';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://app.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (origin !== url.origin) {
    return `must be exactly scheme://host[:port] with no path, trailing slash, query or default port (did you mean ${url.origin}?)`;
  }
  return undefined;
}

/** Validates the options and returns the CORS configuration to send; ConfigError lists every problem. */
export function buildR2CorsConfiguration(options: R2CorsOptions): CORSConfiguration {
  const problems: string[] = [];
  const origins = Array.isArray(options?.origins) ? options.origins : [];
  if (origins.length === 0) problems.push('origins: give at least one origin');
  origins.forEach((origin, index) => {
    const problem = corsOriginProblem(origin);
    if (problem) problems.push(`origins.${index}: ${problem}`);
  });
  if (origins.includes('*') && origins.length > 1) problems.push('origins: "*" allows every origin; give it alone');
  const maxAge = options?.maxAgeSeconds ?? 3600;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_AGE_LIMIT) {
    problems.push(`maxAgeSeconds: must be a whole number from 0 to ${MAX_AGE_LIMIT}`);
  }
  const methods = options?.methods ?? ['PUT', 'GET', 'HEAD'];
  for (const method of methods) {
    if (!METHODS.includes(method))
      problems.push(`methods: ${JSON.stringify(method)} is not one of ${METHODS.join(', ')}`);
  }
  const allowedHeaders = options?.allowedHeaders ?? ['content-type'];
  for (const header of allowedHeaders) {
    if (typeof header !== 'string' || !/^(\*|[A-Za-z0-9-]+)$/.test(header)) {
      problems.push(`allowedHeaders: ${JSON.stringify(header)} is not a header name`);
    }
  }
  if (problems.length > 0) throw new ConfigError('R2 CORS policy', problems);
  return {
    CORSRules: [
      {
        AllowedOrigins: [...new Set(origins)],
        AllowedMethods: [...new Set(methods)],
        AllowedHeaders: [...allowedHeaders],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: maxAge,
      },
    ],
  };
}

/**
 * Applies the CORS policy to the driver's bucket (PutBucketCors). Needs a token
 * with bucket-level (Admin) permission; object tokens get ACCESS_DENIED.
 */
export async function applyR2Cors(driver: S3Driver, options: R2CorsOptions): Promise<void> {
  const configuration = buildR2CorsConfiguration(options);
  try {
    await driver.client.send(new PutBucketCorsCommand({ Bucket: driver.bucket, CORSConfiguration: configuration }));
  } catch (error) {
    throw toStorageError(error, { operation: 'set CORS on', bucket: driver.bucket });
  }
}
