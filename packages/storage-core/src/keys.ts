import { InvalidKeyError } from './errors.js';

/** The longest key, in UTF-8 bytes, that every supported backend accepts (S3 and R2: 1,024). */
export const MAX_KEY_BYTES = 1024;

// C0 controls and DEL: invisible in logs and consoles, refused or mangled by some backends.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Returns why `key` is not a valid object key, or undefined when it is valid.
 * The rules: non-empty, relative, `/`-separated, no empty / `.` / `..` segment,
 * no backslash, no control character, at most 1,024 UTF-8 bytes.
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'key must be a string';
  if (key.length === 0) return 'key must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `key is longer than ${MAX_KEY_BYTES} UTF-8 bytes`;
  if (CONTROL_CHARS.test(key)) return 'key must not contain NUL or control characters';
  if (key.includes('\\')) return 'key must not contain a backslash; use "/" to separate segments';
  if (key.startsWith('/')) return 'key must be relative (no leading "/")';
  if (key.endsWith('/')) return 'key must not end with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'key must not contain an empty segment ("//")';
    if (segment === '..' || segment === '.') return `key must not contain a "${segment}" segment`;
  }
  return undefined;
}

/**
 * Throws InvalidKeyError unless `key` is a valid object key. Every driver calls
 * this before any I/O, so a bad key never reaches a backend.
 */
export function validateKey(key: unknown): string {
  const problem = keyProblem(key);
  if (problem) throw new InvalidKeyError(`invalid key ${describeKey(key)}: ${problem}`, { key: safeKey(key) });
  return key as string;
}

/**
 * Validates a listing prefix: empty (everything) or a key-like string that may
 * end with "/". The same rules as keys otherwise.
 */
export function validatePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  const trimmed = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(trimmed);
  if (problem) {
    throw new InvalidKeyError(`invalid prefix ${describeKey(prefix)}: ${problem.replace(/^key/, 'prefix')}`, {
      key: safeKey(prefix),
    });
  }
  return prefix as string;
}

/**
 * Validates a driver's own key prefix setting (e.g. "media/" or "tenant-a/uploads")
 * and normalizes it to "" or a string ending in "/".
 */
export function normalizeKeyPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  validatePrefix(trimmed);
  return `${trimmed}/`;
}

/** Joins a normalized driver prefix and a caller key into the backend key. */
export function applyKeyPrefix(prefix: string, key: string): string {
  return prefix + key;
}

/** Removes the driver prefix from a backend key; the inverse of applyKeyPrefix. */
export function stripKeyPrefix(prefix: string, backendKey: string): string {
  return prefix && backendKey.startsWith(prefix) ? backendKey.slice(prefix.length) : backendKey;
}

/**
 * URL-encodes each segment of a key and keeps the "/" separators, so a key
 * becomes a URL path (spaces, "+", "%", "?" and "#" survive the round trip).
 */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function describeKey(key: unknown): string {
  if (typeof key !== 'string') return `(${typeof key})`;
  const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  return JSON.stringify(shown);
}

function safeKey(key: unknown): string | undefined {
  return typeof key === 'string' ? key.slice(0, 200) : undefined;
}
