/**
 * The R2 driver: the S3 driver with R2's rules applied to its settings, not a
 * copy of it. It never sends an ACL or tagging header, strips
 * `Expect: 100-continue` (R2 does not answer it), and reports kind "r2".
 */
import { S3Driver, type S3DriverOptions } from '@stowage/driver-s3';
import { parseSettings } from '@stowage/storage-core';
import { type R2SettingsInput, r2SettingsSchema } from './settings.js';
import { r2ToS3Settings } from './to-s3-settings.js';

/** Options besides settings (TLS trust, clock offset, retry hook); see S3DriverOptions. */
export type R2DriverOptions = Omit<S3DriverOptions, 'kind' | 'settingsSubject'>;

/**
 * Creates an R2 driver. Throws one ConfigError ("R2 settings: ...") listing every
 * problem before any network call.
 */
export function createR2Driver(settings: R2SettingsInput, options: R2DriverOptions = {}): S3Driver {
  const parsed = parseSettings('R2 settings', r2SettingsSchema, settings);
  return new S3Driver(r2ToS3Settings(parsed), {
    ...options,
    kind: 'r2',
    settingsSubject: 'R2 settings',
    client: { ...options.client, disableExpectContinue: true },
  });
}
