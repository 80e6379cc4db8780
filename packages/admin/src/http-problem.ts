/**
 * One error type for "answer with this status and these problems": thrown
 * anywhere while a request is handled, turned into a JSON or HTML answer in
 * one place. Problems name what is wrong, never the input's values.
 */
import { ConfigError, ErrorCode, isStorageError } from '@stowage/storage-core';

/** A refusal with an HTTP status and the problems to show. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly problems: readonly string[];
  /** What was refused, e.g. 'settings for "r2"'; undefined for a refusal of the request itself. */
  readonly subject: string | undefined;
  /** Headers the answer needs, e.g. Allow on a 405. */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    problems: readonly string[],
    options: { readonly subject?: string; readonly headers?: Record<string, string> } = {},
  ) {
    super(options.subject ? `${options.subject}: ${problems.join('; ')}` : problems.join('; '));
    this.status = status;
    this.problems = problems;
    this.subject = options.subject;
    this.headers = options.headers ?? {};
  }
}

/** The subject of a ConfigError: its message is `${subject}: ${problems.join('; ')}`. */
function configSubject(error: ConfigError): string | undefined {
  const tail = `: ${error.problems.join('; ')}`;
  return error.message.endsWith(tail) ? error.message.slice(0, -tail.length) : undefined;
}

/**
 * The refusal an error from the registry stands for: invalid settings and
 * bad arguments are 400 with their problems; settings that cannot be used
 * right now (MISCONFIGURED) are 409; anything else is undefined (a server
 * error, logged, shown without detail). Registry messages carry no secrets.
 */
export function problemOf(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ConfigError) return new HttpProblem(400, error.problems, { subject: configSubject(error) });
  if (isStorageError(error, ErrorCode.InvalidInput) || isStorageError(error, ErrorCode.InvalidKey)) {
    return new HttpProblem(400, [error.message]);
  }
  if (isStorageError(error, ErrorCode.Misconfigured)) return new HttpProblem(409, [error.message]);
  return undefined;
}
