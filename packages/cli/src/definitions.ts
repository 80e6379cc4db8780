/**
 * The providers `stowage` knows: Cloudflare R2 and the S3 family (AWS and
 * the S3-compatible presets). The results disk ("local") comes from the
 * config file, not from here.
 */
import { r2DriverDefinition } from '@stowage/driver-r2';
import { s3DriverDefinitions } from '@stowage/driver-s3';
import type { AnyDriverDefinition } from '@stowage/storage-core';

/** Every driver definition the CLI registers, by name. */
export const CLI_DEFINITIONS: readonly AnyDriverDefinition[] = [r2DriverDefinition, ...s3DriverDefinitions];

/** The definition registered as `name`, if any. */
export function definitionNamed(name: string): AnyDriverDefinition | undefined {
  return CLI_DEFINITIONS.find((definition) => definition.name === name);
}
