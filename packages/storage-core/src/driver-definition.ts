import type { z } from 'zod';
import { ConfigError } from './errors.js';
import type { SettingsField } from './settings-field.js';
import type { StorageDriver } from './types.js';

/**
 * How a driver package plugs into the registry: a name, a settings schema and a
 * factory. The registry validates settings with `schema` before it ever calls
 * `create`, and encrypts/redacts the fields listed in `secretFields`.
 */
export interface DriverDefinition<S = Record<string, unknown>> {
  /** Registry name and location prefix, e.g. "r2" in "r2:images/a.png". Lower-case letters, digits, "-". */
  readonly name: string;
  /** Human name for admin screens, e.g. "Cloudflare R2". */
  readonly label: string;
  /** Validates and normalizes raw settings. Errors must name every bad field. */
  readonly schema: z.ZodType<S>;
  /** Top-level settings fields that hold secrets. */
  readonly secretFields: readonly string[];
  /**
   * The fields an admin screen shows, in order: label, help text, input kind.
   * Fields left out keep what the app stored. Check them with `settingsFieldsProblems`.
   */
  readonly fields: readonly SettingsField[];
  /** Builds a driver from settings that passed `schema`. Must not do network I/O. */
  create(settings: S): StorageDriver;
}

/**
 * Validates `input` against `schema` and returns the parsed value, or throws one
 * ConfigError listing every problem ("bucket: required; partSize: must be at
 * least 5 MiB"). Input values are never echoed, so secrets cannot leak.
 */
export function parseSettings<S>(subject: string, schema: z.ZodType<S>, input: unknown): S {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new ConfigError(subject, problems);
}
