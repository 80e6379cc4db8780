/**
 * The R2 settings screen, in the order and words of the R2 plugin guide:
 * credentials from an R2 API token, the account id the endpoint is derived
 * from, the bucket; then the custom endpoint, public URL, key prefix and
 * path-style. There is no region field: R2's region is always "auto".
 */

import { KEY_PREFIX_FIELD, PART_SIZE_FIELD } from '@stowage/driver-s3';
import type { SettingsField } from '@stowage/storage-core';

/** The fields an admin fills in for Cloudflare R2. */
export const R2_SETTINGS_FIELDS: readonly SettingsField[] = [
  {
    name: 'accessKeyId',
    label: 'Access Key ID',
    kind: 'text',
    help: 'From your R2 API token (R2 → Manage R2 API Tokens). It is not your Cloudflare login.',
    required: true,
    placeholder: '',
    section: 'connection',
  },
  {
    name: 'secretAccessKey',
    label: 'Secret Access Key',
    kind: 'secret',
    help: 'From the same R2 API token; Cloudflare shows it only once. Stored encrypted and never shown again: leave blank on later edits to keep the stored one.',
    required: true,
    placeholder: '',
    section: 'connection',
  },
  {
    name: 'accountId',
    label: 'Account ID',
    kind: 'text',
    help: 'Your Cloudflare account id, shown on the R2 overview page. The endpoint https://{account_id}.r2.cloudflarestorage.com is derived from it when the custom endpoint is blank.',
    required: false,
    placeholder: '32 hexadecimal characters',
    section: 'connection',
  },
  {
    name: 'bucket',
    label: 'Bucket',
    kind: 'text',
    help: 'The R2 bucket name. It may stay blank when the custom endpoint is the bucket-specific URL from the dashboard.',
    required: false,
    placeholder: 'my-media',
    section: 'connection',
  },
  {
    name: 'endpoint',
    label: 'Custom Endpoint',
    kind: 'url',
    help: 'Optional. Leave blank to use the endpoint derived from the Account ID; a bucket-specific URL (…/bucket) is split into endpoint and bucket.',
    required: false,
    placeholder: 'https://{account_id}.r2.cloudflarestorage.com',
    section: 'advanced',
  },
  {
    name: 'jurisdiction',
    label: 'Jurisdiction',
    kind: 'select',
    help: 'Only for buckets created in a jurisdiction (EU, FedRAMP): they answer on that jurisdiction’s endpoint alone. Leave at default otherwise.',
    required: false,
    options: [
      { value: 'default', label: 'Default' },
      { value: 'eu', label: 'European Union (eu)' },
      { value: 'fedramp', label: 'FedRAMP (fedramp)' },
    ],
    section: 'advanced',
  },
  {
    name: 'publicBaseUrl',
    label: 'Public / CDN URL',
    kind: 'url',
    help: 'The base URL files are served from: the bucket’s https://pub-….r2.dev address or a custom domain bound to it. Needed for offloaded results to be publicly viewable; without it they are served through signed URLs.',
    required: false,
    placeholder: 'https://media.example.com',
    section: 'advanced',
  },
  KEY_PREFIX_FIELD,
  {
    name: 'forcePathStyle',
    label: 'Use path-style endpoint',
    kind: 'boolean',
    help: 'Sends requests as endpoint/bucket/key. R2 accepts both styles; turn it off only if your set-up needs virtual-hosted addressing (bucket.endpoint).',
    required: false,
    default: true,
    section: 'advanced',
  },
  PART_SIZE_FIELD,
];
