import type { DriverDefinition } from '@stowage/storage-core';
import { MemoryBucket } from './memory-bucket.js';
import { MemoryDriver } from './memory-driver.js';
import { type MemoryDriverSettings, memoryDriverSettingsSchema } from './settings.js';

/** A memory driver definition plus the buckets its drivers keep their objects in. */
export interface MemoryDriverDefinition extends DriverDefinition<MemoryDriverSettings> {
  /** The bucket drivers with `bucket: name` use (made on first use), for assertions in tests. */
  bucket(name?: string): MemoryBucket;
}

/**
 * A registry entry for in-memory backends, with buckets of its own: give each
 * test its own definition (or bucket name) and nothing leaks between tests.
 * `name` is the registry name and location prefix (default "memory").
 */
export function createMemoryDriverDefinition(name = 'memory'): MemoryDriverDefinition {
  const buckets = new Map<string, MemoryBucket>();
  const bucket = (bucketName = 'default') => {
    let found = buckets.get(bucketName);
    if (!found) {
      found = new MemoryBucket(bucketName);
      buckets.set(bucketName, found);
    }
    return found;
  };
  return {
    name,
    label: 'In memory (tests)',
    schema: memoryDriverSettingsSchema,
    secretFields: [],
    placementFields: ['bucket'],
    fields: [
      {
        name: 'bucket',
        label: 'Bucket',
        kind: 'text',
        help: 'Name of the in-process bucket the objects live in; blank means "default". Nothing survives the process.',
        required: false,
        placeholder: 'default',
        section: 'connection',
      },
      {
        name: 'publicBaseUrl',
        label: 'Public / CDN URL',
        kind: 'url',
        help: 'Base URL for public URLs, as a CDN in front of the bucket would have.',
        required: false,
        placeholder: 'https://cdn.example.com',
        section: 'advanced',
      },
    ],
    create: ({ bucket: bucketName, ...settings }) => new MemoryDriver({ ...settings, bucket: bucket(bucketName) }),
    bucket,
  };
}

/** The registry entry "memory", with its own buckets for the whole process. */
export const memoryDriverDefinition: MemoryDriverDefinition = createMemoryDriverDefinition();
