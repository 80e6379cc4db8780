/**
 * Loads `node:sqlite` without its one-time ExperimentalWarning. The module is
 * part of Node.js 22.13+ (no native build, nothing to download), which is why
 * it is the embedded catalog's binding; but Node prints "SQLite is an
 * experimental feature" on stderr the first time it loads, and a library must
 * not write to its users' terminals. Only that one warning is dropped, only
 * while the module loads; every other warning passes through untouched.
 * See docs/architecture.md, "Why node:sqlite".
 */
import { createRequire } from 'node:module';

type SqliteModule = typeof import('node:sqlite');

let loaded: SqliteModule | undefined;

/** The `node:sqlite` module, loaded once. */
export function loadSqlite(): SqliteModule {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function emitWarning(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && text.includes('SQLite')) return;
    return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
