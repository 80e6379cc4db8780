/**
 * A location names where one stored object lives: `<backend>:<key>`, e.g.
 * `r2:images/gemini/uuid.png`. Apps keep it in their database; every later
 * read, URL and delete resolves through it, so objects keep serving from the
 * backend that holds them after the default backend changes. The key is the
 * caller's key: a driver's key prefix never appears in a location.
 */
import { ErrorCode, StorageError } from './errors.js';
import { keyProblem } from './keys.js';

/** Backend names: lower-case letter first, then lower-case letters, digits or "-"; at most 63 characters. */
const BACKEND_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A parsed location. */
export interface Location {
  readonly backend: string;
  readonly key: string;
}

/** Returns why `name` is not a valid backend name, or undefined when it is valid. */
export function backendNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'backend name must be a string';
  if (!BACKEND_NAME.test(name)) {
    return 'backend name must start with a lower-case letter and contain only lower-case letters, digits and "-" (at most 63 characters)';
  }
  return undefined;
}

/** Throws INVALID_INPUT unless `name` is a valid backend name; returns it. */
export function validateBackendName(name: unknown): string {
  const problem = backendNameProblem(name);
  if (problem) throw new StorageError(ErrorCode.InvalidInput, `invalid backend name ${describe(name)}: ${problem}`);
  return name as string;
}

/** Formats `<backend>:<key>` after validating both parts. */
export function formatLocation(backend: string, key: string): string {
  validateBackendName(backend);
  const problem = keyProblem(key);
  if (problem) throw new StorageError(ErrorCode.InvalidKey, `invalid location key: ${problem}`, { key: safe(key) });
  return `${backend}:${key}`;
}

/**
 * Parses a location string. Throws INVALID_INPUT (bad shape or backend name) or
 * INVALID_KEY (bad key) naming what is wrong.
 */
export function parseLocation(location: unknown): Location {
  if (typeof location !== 'string') {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `location must be a string like "r2:images/a.png", got ${typeof location}`,
    );
  }
  const colon = location.indexOf(':');
  if (colon <= 0) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `invalid location ${describe(location)}: expected "<backend>:<key>", e.g. "r2:images/a.png"`,
    );
  }
  const backend = location.slice(0, colon);
  const key = location.slice(colon + 1);
  const nameProblem = backendNameProblem(backend);
  if (nameProblem)
    throw new StorageError(ErrorCode.InvalidInput, `invalid location ${describe(location)}: ${nameProblem}`);
  const problem = keyProblem(key);
  if (problem) {
    throw new StorageError(ErrorCode.InvalidKey, `invalid location ${describe(location)}: ${problem}`, {
      key: safe(key),
    });
  }
  return { backend, key };
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${typeof value})`;
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function safe(key: string): string {
  return key.slice(0, 200);
}
