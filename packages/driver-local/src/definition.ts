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
  placementFields: ['root'],
  fields: [
    {
      name: 'root',
      label: 'Folder',
      kind: 'text',
      help: 'Absolute path of the folder that holds the files, e.g. a NAS mount such as /mnt/nas/media.',
      required: true,
      placeholder: '/mnt/nas/media',
      section: 'connection',
    },
    {
      name: 'createRoot',
      label: 'Create the folder when it is missing',
      kind: 'boolean',
      help: 'Off: a missing folder is reported (a mount that is not there shows up at once instead of filling the disk under it).',
      required: false,
      default: false,
      section: 'connection',
    },
    {
      name: 'publicBaseUrl',
      label: 'Public / CDN URL',
      kind: 'url',
      help: 'Base URL under which this folder is served (a CDN or static file server). Leave blank when it is not served publicly.',
      required: false,
      placeholder: 'https://files.example.com',
      section: 'advanced',
    },
    {
      name: 'signedUrlBaseUrl',
      label: 'Signed URL base',
      kind: 'url',
      help: "Where the app mounts the local driver's file handler, for signed download URLs. Goes together with the signing secret.",
      required: false,
      placeholder: 'https://app.example.com/files',
      section: 'advanced',
    },
    {
      name: 'signingSecret',
      label: 'Signing secret',
      kind: 'secret',
      help: 'At least 32 random characters that sign download URLs. Stored encrypted; leave blank to keep the stored one.',
      required: false,
      placeholder: '',
      section: 'advanced',
    },
    {
      name: 'pruneEmptyFolders',
      label: 'Remove empty folders',
      kind: 'boolean',
      help: 'Removes folders left empty by deletes and moves. Keep it off when anything else writes into this folder.',
      required: false,
      default: false,
      section: 'advanced',
    },
  ],
  create: (settings) => new LocalDriver(settings),
};
