import type { DriverDefinition } from '@stowage/storage-core';
import { LocalDriver } from './local-driver.js';
import { type LocalDriverSettings, localDriverSettingsSchema } from './settings.js';

/** Registry entry for the local disk driver. */
export const localDriverDefinition: DriverDefinition<LocalDriverSettings> = {
  name: 'local',
  label: 'Local disk',
  schema: localDriverSettingsSchema,
  secretFields: ['signingSecret'],
  create: (settings) => new LocalDriver(settings),
};
