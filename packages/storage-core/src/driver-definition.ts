import type { z } from 'zod';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { SettingsField } from './settings-field.js';
import type { StorageDriver } from './types.js';

/** What the registry hands a driver it builds, besides the settings. */
export interface DriverContext {
  /** The backend name the driver is built for, e.g. "r2" or "nas"; for log facts. */
  readonly backend: string;
  /**
   * The registry's logger. A driver sends its own and its client library's
   * warnings here, never to the console (docs/architecture.md, "The driver contract").
   */
  readonly logger: Logger;
}

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
  /**
   * Validates and normalizes raw settings. Errors must name every bad field.
   * Build it with `z.strictObject`, so a field it does not declare (a typo such
   * as `secret_key`) is refused as "unknown setting" instead of being dropped;
   * the registry also refuses any entered field that parsing drops.
   */
  readonly schema: z.ZodType<S>;
  /** Top-level settings fields that hold secrets. */
  readonly secretFields: readonly string[];
  /**
   * The settings fields that decide where the bytes live (endpoint, account,
   * bucket, key prefix, root...). Saving settings that change any of them
   * makes a new target, and locations stored before keep resolving to the old
   * place; a change to any other field (credentials, timeouts, public URL)
   * updates the current target. See docs/architecture.md, "Targets".
   */
  readonly placementFields: readonly string[];
  /**
   * The fields an admin screen shows, in order: label, help text, input kind.
   * Fields left out keep what the app stored. Check them with `settingsFieldsProblems`.
   */
  readonly fields: readonly SettingsField[];
  /**
   * Builds a driver from settings that passed `schema`. Must not do network
   * I/O. The registry always passes `context`; without it a driver logs nothing.
   */
  create(settings: S, context?: DriverContext): StorageDriver;
}

/**
 * Validates `input` against `schema` and returns the parsed value, or throws one
 * ConfigError listing every problem ("secret_key: unknown setting; bucket:
 * required"). Unknown fields come first, since a mistyped field name is often
 * why another one is missing. Input values are never echoed, so secrets cannot leak.
 */
export function parseSettings<S>(subject: string, schema: z.ZodType<S>, input: unknown): S {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const unknown: string[] = [];
  const other: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') unknown.push(...unknownFieldProblems(issue.path, issue.keys));
    else {
      const path = issue.path.map(String).join('.');
      other.push(path ? `${path}: ${issue.message}` : issue.message);
    }
  }
  throw new ConfigError(subject, [...unknown, ...other]);
}

/**
 * "`field`: unknown setting" for every field of `input` a strict `schema`
 * refuses as unknown, whatever else is wrong with `input`; empty for a valid input.
 */
export function unknownSettingProblems(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? unknownFieldProblems(issue.path, issue.keys) : [],
  );
}

function unknownFieldProblems(path: readonly PropertyKey[], keys: readonly string[]): string[] {
  const prefix = path.map(String).join('.');
  return keys.map((key) => `${prefix ? `${prefix}.` : ''}${key}: unknown setting`);
}
