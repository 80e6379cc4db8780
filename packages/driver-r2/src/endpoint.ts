/**
 * R2 endpoints: derived from the account id and jurisdiction, or parsed from
 * what users paste. Cloudflare's dashboard and rclone guides hand out a
 * bucket-specific URL (`https://<account>.r2.cloudflarestorage.com/<bucket>`);
 * it is split into the S3 endpoint and the bucket name.
 */

/** Where an R2 bucket's data lives; each has its own S3 endpoint host. */
export const R2_JURISDICTIONS = ['default', 'eu', 'fedramp'] as const;
export type R2Jurisdiction = (typeof R2_JURISDICTIONS)[number];

/** The S3 API host suffix of every R2 account endpoint. */
const R2_HOST_SUFFIX = 'r2.cloudflarestorage.com';

/** Cloudflare account ids are 32 lower-case hex characters. */
export const ACCOUNT_ID = /^[0-9a-f]{32}$/;

/** The S3 endpoint of an account in a jurisdiction, e.g. https://<account>.eu.r2.cloudflarestorage.com. */
export function r2AccountEndpoint(accountId: string, jurisdiction: R2Jurisdiction = 'default'): string {
  const middle = jurisdiction === 'default' ? '' : `${jurisdiction}.`;
  return `https://${accountId}.${middle}${R2_HOST_SUFFIX}`;
}

/** An endpoint URL taken apart: the S3 endpoint (origin only) and what the URL implied. */
export interface ParsedR2Endpoint {
  /** Origin of the S3 API, without path or trailing slash. */
  readonly endpoint: string;
  /** Bucket named by the URL's first path segment or virtual-host label, if any. */
  readonly bucket?: string;
  /** Account id, when the host is an r2.cloudflarestorage.com host. */
  readonly accountId?: string;
  readonly jurisdiction?: R2Jurisdiction;
}

/**
 * Splits an endpoint URL (already checked to be an http(s) URL) into the S3
 * endpoint and the bucket it names. Returns a problem string when the URL has
 * more than one path segment.
 */
export function parseR2Endpoint(value: string): ParsedR2Endpoint | string {
  const url = new URL(value);
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (segments.length > 1) return 'must be the account endpoint, optionally followed by "/<bucket>", and nothing more';
  let bucket = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
  let accountId: string | undefined;
  let jurisdiction: R2Jurisdiction | undefined;
  let host = url.host;
  const hostname = url.hostname.toLowerCase();
  if (hostname.endsWith(`.${R2_HOST_SUFFIX}`)) {
    const labels = hostname.slice(0, -(R2_HOST_SUFFIX.length + 1)).split('.');
    const accountIndex = labels.findIndex((label) => ACCOUNT_ID.test(label));
    if (accountIndex >= 0) {
      accountId = labels[accountIndex];
      const after = labels.slice(accountIndex + 1);
      jurisdiction = after.length === 0 ? 'default' : (after[0] as R2Jurisdiction);
      if (after.length > 1 || !R2_JURISDICTIONS.includes(jurisdiction)) {
        return `has an unknown jurisdiction "${after.join('.')}" (known: eu, fedramp)`;
      }
      // Virtual-hosted form <bucket>.<account>.r2.cloudflarestorage.com.
      if (accountIndex > 0) {
        const hostBucket = labels.slice(0, accountIndex).join('.');
        if (bucket !== undefined && bucket !== hostBucket) return 'names two different buckets (in host and path)';
        bucket = hostBucket;
        host = `${labels.slice(accountIndex).join('.')}.${R2_HOST_SUFFIX}${url.port ? `:${url.port}` : ''}`;
      }
    }
  }
  return {
    endpoint: `${url.protocol}//${host}`,
    ...(bucket !== undefined ? { bucket } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
    ...(jurisdiction !== undefined ? { jurisdiction } : {}),
  };
}
