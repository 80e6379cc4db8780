/**
 * The logging seam: any object with pino's `info/warn/error(obj, msg)` shape
 * works (pino itself, or an adapter). Stowage only ever passes plain facts
 * (backend names, keys, codes, messages), never settings or secrets.
 */

/** A pino-compatible logger: structured object first, message second. */
export interface Logger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const noop = (): void => undefined;

/** The default: logs nothing, so a library never writes to an app's stdout uninvited. */
export const silentLogger: Logger = Object.freeze({ info: noop, warn: noop, error: noop });

/** Structured facts about an error, safe to log: name, code, message, status; no cause chain payloads. */
export function errorFacts(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; status?: unknown };
    return { name: error.name, code: withCode.code, message: error.message, status: withCode.status };
  }
  return { message: String(error) };
}
