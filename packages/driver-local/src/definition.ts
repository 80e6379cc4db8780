import type { DriverDefinition } from '@stowage/storage-core';
import { LocalDriver } from './local-driver.js';
import { type LocalDriverSettings, localDriverSettingsSchema } from './settings.js';

/**
 * Registry entry for the local disk driver, for local folders used as backends
 * next to the results disk: a NAS mount, an archive disk. Its own name,
 * "local", is the results disk's, which the registry reserves, so register it
 * under a name of its own and save that provider's root as its settings:
 *
 * ```ts
 * storage.registry.register(localDriverDefinition, { name: 'nas' });
 * await storage.registry.saveSettings('nas', { root: '/mnt/nas/media' });
 * ```
 */
export const localDriverDefinition: DriverDefinition<LocalDriverSettings> = {
  name: 'local',
  label: 'Local disk',
  schema: localDriverSettingsSchema,
  secretFields: ['signingSecret'],
  create: (settings) => new LocalDriver(settings),
};
