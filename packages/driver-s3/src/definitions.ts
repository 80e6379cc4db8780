/**
 * Registry entries: "s3" (any preset, chosen by the `provider` setting) and one
 * entry per S3-compatible preset, whose `provider` is fixed so admins pick a
 * provider by name and never see a provider field.
 */
import type { DriverDefinition } from '@stowage/storage-core';
import { z } from 'zod';
import { s3SettingsFields } from './fields.js';
import { S3_PRESETS, type S3Provider } from './presets.js';
import { S3Driver } from './s3-driver.js';
import { S3_PLACEMENT_FIELDS, S3_SECRET_FIELDS, type S3Settings, s3SettingsSchema } from './settings.js';

/** The generic S3 entry: `provider` picks the preset (AWS when omitted and no endpoint is given). */
export const s3DriverDefinition: DriverDefinition<S3Settings> = {
  name: 's3',
  label: 'Amazon S3 / S3-compatible',
  schema: s3SettingsSchema,
  secretFields: S3_SECRET_FIELDS,
  placementFields: S3_PLACEMENT_FIELDS,
  fields: s3SettingsFields(undefined),
  create: (settings, context) => new S3Driver(settings, { ...context }),
};

function presetDefinition(provider: S3Provider): DriverDefinition<S3Settings> {
  // The preset is fixed: whatever `provider` the stored settings carry, this entry's wins.
  const schema: z.ZodType<S3Settings> = z.preprocess(
    (input) => (typeof input === 'object' && input !== null ? { ...input, provider } : input),
    s3SettingsSchema,
  );
  return {
    name: provider,
    label: S3_PRESETS[provider].label,
    schema,
    secretFields: S3_SECRET_FIELDS,
    placementFields: S3_PLACEMENT_FIELDS,
    fields: s3SettingsFields(provider),
    create: (settings, context) => new S3Driver({ ...settings, provider }, { ...context, kind: provider }),
  };
}

/** Wasabi: endpoint from the region (s3.<region>.wasabisys.com). */
export const wasabiDriverDefinition = presetDefinition('wasabi');
/** MinIO: explicit endpoint, path-style. */
export const minioDriverDefinition = presetDefinition('minio');
/** DigitalOcean Spaces: endpoint from the region (<region>.digitaloceanspaces.com). */
export const spacesDriverDefinition = presetDefinition('spaces');
/** Backblaze B2: endpoint from the region (s3.<region>.backblazeb2.com). */
export const b2DriverDefinition = presetDefinition('b2');
/** Google Cloud Storage through its S3 interoperability API (HMAC keys). */
export const gcsDriverDefinition = presetDefinition('gcs');

/** Every definition this package offers, for registering them all at once. */
export const s3DriverDefinitions: readonly DriverDefinition<S3Settings>[] = [
  s3DriverDefinition,
  wasabiDriverDefinition,
  minioDriverDefinition,
  spacesDriverDefinition,
  b2DriverDefinition,
  gcsDriverDefinition,
];
