import type { NewResultRecord } from '@stowage/storage-core';

/** A well-formed new record of one file at `path`, on the results disk unless `overrides` say otherwise. */
export function localRecord(path: string, overrides: Partial<NewResultRecord> = {}): NewResultRecord {
  return {
    path,
    state: 'local',
    targetId: 'local',
    key: path,
    location: `local:${path}`,
    localCopy: true,
    files: [{ name: '', path, key: path, size: 1, sha256: undefined, contentType: undefined }],
    ...overrides,
  };
}
