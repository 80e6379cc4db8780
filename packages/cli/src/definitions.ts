/**
 * The providers `stowage` knows: Cloudflare R2 and the S3 family (AWS and
 * the S3-compatible presets). The results disk ("local") comes from the
 * config file, not from here. Loaded on first use: the drivers bring the
 * AWS SDK, which a usage or config error, or `--help`, never needs.
 */
import type { AnyDriverDefinition } from '@stowage/storage-core';

let loading: Promise<readonly AnyDriverDefinition[]> | undefined;

/** Every driver definition the CLI registers. */
export function cliDefinitions(): Promise<readonly AnyDriverDefinition[]> {
  loading ??= Promise.all([import('@stowage/driver-r2'), import('@stowage/driver-s3')]).then(([r2, s3]) => [
    r2.r2DriverDefinition,
    ...s3.s3DriverDefinitions,
  ]);
  return loading;
}

/** The definition registered as `name`, if any. */
export async function definitionNamed(name: string): Promise<AnyDriverDefinition | undefined> {
  return (await cliDefinitions()).find((definition) => definition.name === name);
}
