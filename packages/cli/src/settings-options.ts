/**
 * The options of `stowage providers set`, made from the drivers' declared
 * settings fields (`--bucket media`, `--force-path-style`, `--part-size 8388608`),
 * and the settings input they add up to. Secret fields have no value option:
 * a secret comes from an environment variable (`--secret-from-env
 * secretAccessKey=MY_VAR`) or a hidden prompt (`--prompt-secret
 * secretAccessKey`), never from the command line, where shell history and
 * `ps` would keep it. A secret passed as an option is refused without
 * repeating it.
 */

import type { AnyDriverDefinition, SettingsField } from '@stowage/storage-core';
import { type Command, Option } from 'commander';
import { CliError } from './exit-codes.js';

/** "secretAccessKey" → "secret-access-key": a settings field's option, without its dashes. */
export function optionName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Every field of every definition, by name (the first declaration wins), and the names of secret fields. */
function knownFields(definitions: readonly AnyDriverDefinition[]): {
  fields: Map<string, SettingsField>;
  secrets: Set<string>;
} {
  const fields = new Map<string, SettingsField>();
  const secrets = new Set<string>();
  for (const definition of definitions) {
    for (const field of definition.fields) if (!fields.has(field.name)) fields.set(field.name, field);
    for (const secret of definition.secretFields) secrets.add(secret);
  }
  return { fields, secrets };
}

/** The registry's own per-provider flag. */
const DELETE_LOCAL = 'deleteLocal';

/** Adds one option per settings field of `definitions`, plus the secret and unset options, to `command`. */
export function addSettingsOptions(command: Command, definitions: readonly AnyDriverDefinition[]): Command {
  const { fields, secrets } = knownFields(definitions);
  for (const field of fields.values()) {
    const flag = optionName(field.name);
    if (secrets.has(field.name) || field.kind === 'secret') {
      // Declared only to refuse it without echoing the value (commander would quote an unknown "--x=value").
      command.addOption(new Option(`--${flag} [value]`).hideHelp());
    } else if (field.kind === 'boolean') {
      command.option(`--${flag}`, `${field.label} (on)`);
      command.option(`--no-${flag}`, `${field.label} (off)`);
    } else {
      const choices = field.kind === 'select' ? ` (${field.options.map((option) => option.value).join(', ')})` : '';
      command.option(`--${flag} <${field.kind === 'number' ? 'number' : 'value'}>`, `${field.label}${choices}`);
    }
  }
  command.option('--delete-local', 'remove the local copy after a verified offload');
  command.option('--no-delete-local', 'keep the local copy after offload');
  command.option('--unset <fields...>', 'clear these settings fields (by their names, e.g. publicBaseUrl)');
  command.option(
    '--secret-from-env <field=VAR...>',
    'read a secret field from an environment variable, e.g. secretAccessKey=MINIO_SECRET',
  );
  command.option('--prompt-secret <fields...>', 'ask for these secret fields at a hidden prompt (needs a terminal)');
  return command;
}

/** What the options say, before secrets are read. */
export interface SettingsChange {
  /** Non-secret fields given (already typed: numbers, booleans). */
  readonly values: Record<string, unknown>;
  readonly unset: readonly string[];
  /** Secret field → environment variable name. */
  readonly fromEnv: ReadonlyMap<string, string>;
  readonly prompt: readonly string[];
}

/** Reads the parsed options into a change; CliError (exit 2) naming every bad option, never a value. */
export function settingsChange(
  definition: AnyDriverDefinition,
  options: Record<string, unknown>,
  definitions: readonly AnyDriverDefinition[],
): SettingsChange {
  const { fields, secrets } = knownFields(definitions);
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const field of fields.values()) {
    const given = options[field.name];
    if (given === undefined) continue;
    if (secrets.has(field.name) || field.kind === 'secret') {
      problems.push(
        `--${optionName(field.name)}: secrets are never read from the command line; use --secret-from-env ${field.name}=VAR or --prompt-secret ${field.name}`,
      );
      continue;
    }
    if (field.kind === 'number') {
      const number = Number(given);
      if (!Number.isFinite(number)) problems.push(`--${optionName(field.name)}: must be a number`);
      else values[field.name] = number;
    } else values[field.name] = given;
  }
  if (options[DELETE_LOCAL] !== undefined) values[DELETE_LOCAL] = options[DELETE_LOCAL];
  const fromEnv = new Map<string, string>();
  for (const pair of (options.secretFromEnv as string[] | undefined) ?? []) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(pair);
    if (!match) {
      problems.push('--secret-from-env: expects field=VARIABLE, e.g. secretAccessKey=MINIO_SECRET');
      continue;
    }
    const [, field, variable] = match as unknown as [string, string, string];
    if (!definition.secretFields.includes(field))
      problems.push(`--secret-from-env: ${field} is not a secret field of ${definition.name}`);
    else fromEnv.set(field, variable);
  }
  const prompt = (options.promptSecret as string[] | undefined) ?? [];
  for (const field of prompt) {
    if (!definition.secretFields.includes(field))
      problems.push(`--prompt-secret: ${field} is not a secret field of ${definition.name}`);
  }
  const unset = (options.unset as string[] | undefined) ?? [];
  for (const field of unset) {
    if (!definition.fields.some((known) => known.name === field))
      problems.push(`--unset: ${field} is not a settings field of ${definition.name}`);
    else if (definition.secretFields.includes(field))
      problems.push(`--unset: ${field} is a secret; enter a new one instead`);
  }
  if (problems.length > 0) throw new CliError('USAGE', `providers set ${definition.name}: ${problems.join('; ')}`);
  return { values, unset, fromEnv, prompt };
}
