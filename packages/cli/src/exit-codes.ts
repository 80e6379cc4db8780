/**
 * The documented exit codes of `stowage`, and the one error type commands
 * throw to end with a chosen code. The README of this package lists them.
 */
import { ConfigError, ErrorCode, isStorageError } from '@stowage/storage-core';

/** What the process exit code says. */
export const ExitCode = {
  /** Done; nothing needs attention. */
  Ok: 0,
  /** Failed: an operation failed (a connection test, every offload, a storage error). */
  Failure: 1,
  /** Usage or configuration error: bad arguments, a missing or bad config file, a bad request; nothing was changed. */
  Usage: 2,
  /** Partly done or needs attention: some results stayed local or failed to move, reconcile found disagreements, a run was stopped. */
  Partial: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with `exitCode`; its message is shown as is (it never holds a secret). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCodeValue;
  /** A stable code for `--json` output, e.g. "CONFIG" or "USAGE". */
  readonly code: string;
  constructor(code: string, message: string, exitCode: ExitCodeValue = ExitCode.Usage) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

/**
 * A request the library refused before touching anything is the caller's
 * mistake: a usage error. So are settings it refused (ConfigError lists every
 * bad field), e.g. a bucket name that cannot be one.
 */
const REQUEST_ERRORS: ReadonlySet<string> = new Set([ErrorCode.InvalidInput, ErrorCode.InvalidKey]);

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ConfigError) return ExitCode.Usage;
  if (isStorageError(error) && REQUEST_ERRORS.has(error.code)) return ExitCode.Usage;
  return ExitCode.Failure;
}

/** The stable code and message shown for an error. */
export function describeError(error: unknown): { readonly code: string; readonly message: string } {
  if (error instanceof CliError) return { code: error.code, message: error.message };
  if (isStorageError(error)) return { code: error.code, message: error.message };
  return { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
}
