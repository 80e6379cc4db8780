import type { DriverDefinition } from '@stowage/storage-core';
import { R2_SETTINGS_FIELDS } from './fields.js';
import { createR2Driver } from './r2-driver.js';
import { R2_PLACEMENT_FIELDS, R2_SECRET_FIELDS, type R2Settings, r2SettingsSchema } from './settings.js';

/** Registry entry for Cloudflare R2 (location prefix "r2:"). */
export const r2DriverDefinition: DriverDefinition<R2Settings> = {
  name: 'r2',
  label: 'Cloudflare R2',
  schema: r2SettingsSchema,
  secretFields: R2_SECRET_FIELDS,
  placementFields: R2_PLACEMENT_FIELDS,
  fields: R2_SETTINGS_FIELDS,
  create: (settings, context) => createR2Driver(settings, { ...context }),
};
