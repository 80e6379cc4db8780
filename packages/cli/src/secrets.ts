/**
 * Reads secret settings from where the operator put them: an environment
 * variable named on the command line, or a hidden prompt on the terminal
 * (@inquirer/password, nothing echoed). A secret is never printed, logged or
 * put in an error message; problems name the field and the variable only.
 */
import type { Readable, Writable } from 'node:stream';
import password from '@inquirer/password';
import { CliError } from './exit-codes.js';

/** Where the secrets come from, and the process to read them in. */
export interface SecretSources {
  readonly fromEnv: ReadonlyMap<string, string>;
  readonly prompt: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  /** Where the prompt is drawn (stderr, so stdout stays the command's answer). */
  readonly promptOutput: Writable;
}

/** Upper-case letters, digits and "_": what a variable's name conventionally is, and what a pasted secret seldom is. */
const CONVENTIONAL_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Why `variable` gave no secret. An unset name that is not a conventional one may be the secret itself, pasted
 * where the name goes (`secretAccessKey=<the secret>`): it is not repeated.
 */
function unsetVariable(variable: string): string {
  return CONVENTIONAL_NAME.test(variable)
    ? `the environment variable ${variable} is not set`
    : 'no environment variable by the name given is set (the name is not repeated: it may be the secret itself; give field=VARIABLE_NAME)';
}

/** The secret values by field; CliError (exit 2) for an unset variable or a prompt without a terminal. */
export async function readSecrets(sources: SecretSources): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  const problems: string[] = [];
  for (const [field, variable] of sources.fromEnv) {
    const value = sources.env[variable];
    if (value === undefined || value === '') problems.push(`${field}: ${unsetVariable(variable)}`);
    else secrets[field] = value;
  }
  const pending = sources.prompt.filter((field) => !(field in secrets));
  if (pending.length > 0 && (sources.stdin as Readable & { isTTY?: boolean }).isTTY !== true) {
    problems.push(`${pending.join(', ')}: cannot prompt, standard input is not a terminal; use --secret-from-env`);
  }
  if (problems.length > 0) throw new CliError('USAGE', `secrets: ${problems.join('; ')}`);
  for (const field of pending) {
    const value = await password(
      { message: `${field} (hidden):`, mask: false, toggleMask: false },
      { input: sources.stdin, output: sources.promptOutput, clearPromptOnDone: true },
    );
    if (value === '') throw new CliError('USAGE', `secrets: ${field}: nothing was entered`);
    secrets[field] = value;
  }
  return secrets;
}
