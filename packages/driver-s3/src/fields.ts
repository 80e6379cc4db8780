/**
 * The settings screen of each S3 entry: credentials, bucket and where the API
 * is (endpoint and region, as far as the preset cannot derive them), then the
 * public URL, key prefix, path-style, ACL where the provider has ACLs, and the
 * part size. The generic "s3" entry adds the provider choice first.
 */
import type { SettingsField } from '@stowage/storage-core';
import { S3_PRESETS, S3_PROVIDERS, type S3Preset, type S3Provider } from './presets.js';
import { CANNED_ACLS, DEFAULT_PART_SIZE, MIN_PART_SIZE } from './settings.js';

/** The key prefix field, shared with the drivers built on this one (R2). */
export const KEY_PREFIX_FIELD: SettingsField = {
  name: 'keyPrefix',
  label: 'Key Prefix',
  kind: 'text',
  help: 'Optional folder inside the bucket (e.g. media), put in front of every object key.',
  required: false,
  placeholder: 'media',
  section: 'advanced',
};

/** The multipart part size field, shared with the drivers built on this one (R2). */
export const PART_SIZE_FIELD: SettingsField = {
  name: 'partSize',
  label: 'Part size (bytes)',
  kind: 'number',
  help: `Files larger than this are uploaded in parts of this size. At least ${MIN_PART_SIZE} (5 MiB); blank means ${DEFAULT_PART_SIZE} (8 MiB).`,
  required: false,
  placeholder: String(DEFAULT_PART_SIZE),
  section: 'advanced',
};

function endpointHelp(preset: S3Preset | undefined): string {
  if (preset === undefined) {
    return 'The S3 API URL of an S3-compatible service, without the bucket name. Leave blank for Amazon S3 or a provider whose endpoint follows from the region.';
  }
  if (preset.requiresEndpoint) {
    return `The ${preset.label} S3 API URL, without the bucket name, e.g. http://minio.internal:9000.`;
  }
  if (preset.endpointFor) {
    return `Optional. Leave blank to use ${preset.label}'s endpoint for the region (${preset.endpointFor('<region>')}).`;
  }
  return 'Optional. Leave blank for Amazon S3 itself.';
}

function regionHelp(preset: S3Preset | undefined): string {
  if (preset?.defaultRegion === undefined && preset !== undefined) {
    return `The region of the bucket as ${preset.label} names it (e.g. us-west-004); the endpoint is derived from it.`;
  }
  const fallback = preset?.defaultRegion ?? 'us-east-1';
  return `The bucket's region; blank means ${fallback}.`;
}

/** The fields of the S3 entry for `provider`, or of the generic "s3" entry when it is undefined. */
export function s3SettingsFields(provider: S3Provider | undefined): readonly SettingsField[] {
  const preset = provider === undefined ? undefined : S3_PRESETS[provider];
  return [...connectionFields(provider, preset), ...advancedFields(preset)];
}

/** Provider (generic entry only), credentials, bucket, endpoint and region. */
function connectionFields(provider: S3Provider | undefined, preset: S3Preset | undefined): SettingsField[] {
  const label = preset?.label ?? 'the provider';
  const fields: SettingsField[] = [];
  if (preset === undefined) {
    fields.push({
      name: 'provider',
      label: 'Provider',
      kind: 'select',
      help: 'Which S3 service this is; it sets the endpoint pattern, region, path-style and checksum behaviour. Blank means Amazon S3 without an endpoint, a generic S3-compatible with one.',
      required: false,
      options: S3_PROVIDERS.map((value) => ({ value, label: S3_PRESETS[value].label })),
      section: 'connection',
    });
  }
  fields.push(
    {
      name: 'accessKeyId',
      label: 'Access Key ID',
      kind: 'text',
      help: `From the access key or API token you created at ${label}.`,
      required: true,
      placeholder: '',
      section: 'connection',
    },
    {
      name: 'secretAccessKey',
      label: 'Secret Access Key',
      kind: 'secret',
      help: 'Shown once when the key is created. Stored encrypted and never shown again: leave blank on later edits to keep the stored one.',
      required: true,
      placeholder: '',
      section: 'connection',
    },
    {
      name: 'bucket',
      label: 'Bucket',
      kind: 'text',
      help: 'The bucket name.',
      required: true,
      placeholder: 'my-media',
      section: 'connection',
    },
    {
      name: 'endpoint',
      label: 'Endpoint',
      kind: 'url',
      help: endpointHelp(preset),
      required: preset?.requiresEndpoint ?? false,
      placeholder: preset?.requiresEndpoint ? 'https://s3.example.com' : '',
      section: 'connection',
    },
  );
  if (provider !== 'gcs') {
    fields.push({
      name: 'region',
      label: 'Region',
      kind: 'text',
      help: regionHelp(preset),
      required: preset !== undefined && preset.defaultRegion === undefined,
      placeholder: preset?.defaultRegion ?? '',
      section: 'connection',
    });
  }
  return fields;
}

/** Public URL, key prefix, path-style, ACL (where the provider has ACLs), session token, part size. */
function advancedFields(preset: S3Preset | undefined): SettingsField[] {
  const fields: SettingsField[] = [];
  fields.push(
    {
      name: 'publicBaseUrl',
      label: 'Public / CDN URL',
      kind: 'url',
      help: 'The base URL files are served from: a CDN or the bucket’s public address. Needed for offloaded results to be publicly viewable; without it they are served through signed URLs.',
      required: false,
      placeholder: 'https://media.example.com',
      section: 'advanced',
    },
    KEY_PREFIX_FIELD,
    {
      name: 'forcePathStyle',
      label: 'Use path-style endpoint',
      kind: 'boolean',
      help: 'Sends requests as endpoint/bucket/key instead of bucket.endpoint/key. Self-hosted servers such as MinIO usually need it.',
      required: false,
      default: preset?.forcePathStyle ?? false,
      section: 'advanced',
    },
  );
  if (preset === undefined || preset.supportsAcl) {
    fields.push({
      name: 'acl',
      label: 'Object ACL',
      kind: 'select',
      help: 'A canned ACL sent with every upload. Leave it blank unless the bucket relies on object ACLs for public access.',
      required: false,
      options: CANNED_ACLS.map((value) => ({ value, label: value })),
      section: 'advanced',
    });
  }
  fields.push(
    {
      name: 'sessionToken',
      label: 'Session token',
      kind: 'secret',
      help: 'Only for temporary credentials (STS). Stored encrypted; leave blank to keep the stored one.',
      required: false,
      placeholder: '',
      section: 'advanced',
    },
    PART_SIZE_FIELD,
  );
  return fields;
}
