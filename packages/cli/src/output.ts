/**
 * Where a command's answer goes: human lines on stdout, or with `--json` one
 * JSON document on stdout (`{ "ok": true, ... }`, errors as
 * `{ "ok": false, "error": { "code", "message" } }`). Progress and notes go to
 * stderr, so stdout stays parseable.
 */
import type { Writable } from 'node:stream';

/** The streams and mode of one run. */
export interface Output {
  readonly json: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Human output: one line per entry (ignored with --json). */
  lines(lines: readonly string[]): void;
  /** A note for the operator on stderr (ignored with --json). */
  note(line: string): void;
  /** The command's result with --json. */
  result(value: Record<string, unknown>): void;
  /** One JSON line on stdout, for streams of events (the worker) with --json. */
  event(value: Record<string, unknown>): void;
}

/** Builds the output of one run. */
export function createOutput(json: boolean, stdout: Writable, stderr: Writable): Output {
  return {
    json,
    stdout,
    stderr,
    lines(lines) {
      if (!json) for (const line of lines) stdout.write(`${line}\n`);
    },
    note(line) {
      if (!json) stderr.write(`${line}\n`);
    },
    result(value) {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    event(value) {
      if (json) stdout.write(`${JSON.stringify(value)}\n`);
    },
  };
}
