/**
 * Provider presets: what each S3-compatible needs that plain S3 defaults get
 * wrong. The header-pinning test (test/preset-headers.test.ts) records what each
 * preset puts on the wire, so a change here or in the SDK shows up as a diff.
 */

/**
 * Checksum behaviour of the AWS SDK. WHEN_SUPPORTED (the SDK's default since
 * 3.729.0) breaks most S3-compatibles (https://github.com/aws/aws-sdk-js-v3/issues/6810;
 * docs/architecture.md, "The S3 driver and the AWS SDK").
 */
export type ChecksumMode = 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';

/** Names of the built-in presets. `custom` is any S3-compatible reached through an explicit endpoint. */
export const S3_PROVIDERS = ['aws', 'wasabi', 'minio', 'spaces', 'b2', 'gcs', 'custom'] as const;
export type S3Provider = (typeof S3_PROVIDERS)[number];

export interface S3Preset {
  readonly provider: S3Provider;
  /** Shown to admins. */
  readonly label: string;
  /** Endpoint for a region; undefined when the SDK derives it (AWS) or the user must give one. */
  readonly endpointFor?: (region: string) => string;
  /** True when no endpoint can be derived, so settings must carry one. */
  readonly requiresEndpoint: boolean;
  /** Region used when settings give none; undefined means settings must give one. */
  readonly defaultRegion: string | undefined;
  readonly forcePathStyle: boolean;
  readonly checksumMode: ChecksumMode;
  /** Whether per-object canned ACLs (`x-amz-acl`) are accepted. */
  readonly supportsAcl: boolean;
  /** Whether DeleteObjects (batch delete) exists; GCS interop lacks it, so keys are deleted one by one. */
  readonly supportsBatchDelete: boolean;
}

export const S3_PRESETS: Readonly<Record<S3Provider, S3Preset>> = {
  aws: {
    provider: 'aws',
    label: 'Amazon S3',
    requiresEndpoint: false,
    defaultRegion: 'us-east-1',
    forcePathStyle: false,
    checksumMode: 'WHEN_REQUIRED',
    supportsAcl: true,
    supportsBatchDelete: true,
  },
  wasabi: {
    provider: 'wasabi',
    label: 'Wasabi',
    endpointFor: (region) => `https://s3.${region}.wasabisys.com`,
    requiresEndpoint: false,
    defaultRegion: 'us-east-1',
    forcePathStyle: false,
    checksumMode: 'WHEN_REQUIRED',
    supportsAcl: true,
    supportsBatchDelete: true,
  },
  minio: {
    provider: 'minio',
    label: 'MinIO',
    requiresEndpoint: true,
    defaultRegion: 'us-east-1',
    forcePathStyle: true,
    checksumMode: 'WHEN_REQUIRED',
    // MinIO ignores canned ACLs; sending one suggests a guarantee it does not give.
    supportsAcl: false,
    supportsBatchDelete: true,
  },
  spaces: {
    provider: 'spaces',
    label: 'DigitalOcean Spaces',
    endpointFor: (region) => `https://${region}.digitaloceanspaces.com`,
    requiresEndpoint: false,
    defaultRegion: 'nyc3',
    forcePathStyle: false,
    checksumMode: 'WHEN_REQUIRED',
    supportsAcl: true,
    supportsBatchDelete: true,
  },
  b2: {
    provider: 'b2',
    label: 'Backblaze B2',
    endpointFor: (region) => `https://s3.${region}.backblazeb2.com`,
    requiresEndpoint: false,
    // B2 regions are account-specific (us-west-004, eu-central-003, ...): no safe default.
    defaultRegion: undefined,
    forcePathStyle: false,
    checksumMode: 'WHEN_REQUIRED',
    // B2 sets visibility per bucket; object ACL headers are refused.
    supportsAcl: false,
    supportsBatchDelete: true,
  },
  gcs: {
    provider: 'gcs',
    label: 'Google Cloud Storage (S3 interoperability)',
    endpointFor: () => 'https://storage.googleapis.com',
    requiresEndpoint: false,
    defaultRegion: 'auto',
    forcePathStyle: false,
    checksumMode: 'WHEN_REQUIRED',
    // Buckets with uniform bucket-level access (the default) reject object ACLs.
    supportsAcl: false,
    supportsBatchDelete: false,
  },
  custom: {
    provider: 'custom',
    label: 'S3-compatible',
    requiresEndpoint: true,
    defaultRegion: 'us-east-1',
    forcePathStyle: true,
    checksumMode: 'WHEN_REQUIRED',
    supportsAcl: true,
    supportsBatchDelete: true,
  },
};
