import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { abortedError, keyProblem, type ListEntry, type ListOptions } from '@stowage/storage-core';
import { errnoCode, fsError } from './fs-errors.js';
import { isReservedName, localKeyProblem, validateLocalPrefix } from './local-keys.js';
import { etagOf, lastModifiedOf } from './object-info.js';
import type { RootDirectory } from './root-directory.js';

/**
 * Every object whose key starts with `prefix` (a plain string prefix, as on
 * S3), in UTF-8 byte order of keys, read one folder at a time. Starts in the
 * deepest folder the prefix names, and only descends into folders that can
 * hold matching keys. Not listed: the metadata folder, temp files, symbolic
 * links (never followed, so a listing cannot leave the root) and files whose
 * names are not valid keys.
 */
export async function* listObjects(
  root: RootDirectory,
  prefix: string | undefined,
  options: ListOptions = {},
): AsyncGenerator<ListEntry> {
  const wanted = validateLocalPrefix(prefix);
  const real = await root.real();
  const slash = wanted.lastIndexOf('/');
  const baseKey = slash >= 0 ? wanted.slice(0, slash) : '';
  const baseDir = baseKey ? join(real, ...baseKey.split('/')) : real;
  const resolved = await root.resolveExisting(real, baseDir, baseKey || wanted);
  if (!resolved) return;
  yield* walk(resolved, baseKey ? `${baseKey}/` : '', wanted, options.signal);
}

async function* walk(
  dir: string,
  keyPrefix: string,
  wanted: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<ListEntry> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    // Gone (concurrent delete) or not a folder (the prefix names a file): nothing below it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw fsError(error, `listing "${keyPrefix}"`);
  }
  const sorted = entries
    .filter((entry) => !entry.isSymbolicLink() && !isReservedName(entry.name, keyPrefix === ''))
    .map((entry) => ({ entry, order: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name) }))
    .sort((a, b) => Buffer.compare(a.order, b.order));

  for (const { entry } of sorted) {
    if (signal?.aborted) throw abortedError(signal);
    const key = keyPrefix + entry.name;
    if (entry.isDirectory()) {
      const folder = `${key}/`;
      if (folder.startsWith(wanted) || wanted.startsWith(folder)) {
        yield* walk(join(dir, entry.name), folder, wanted, signal);
      }
      continue;
    }
    if (!entry.isFile() || !key.startsWith(wanted)) continue;
    if (keyProblem(key) !== undefined || localKeyProblem(key) !== undefined) continue;
    try {
      const info = await stat(join(dir, entry.name), { bigint: true });
      yield { key, size: Number(info.size), etag: etagOf(info), lastModified: lastModifiedOf(info) };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw fsError(error, 'listing', key);
    }
  }
}
