/**
 * Turns `stowage offload <path…>` arguments into results on the results disk.
 * A path is a file or a folder, given relative to the results folder or as a
 * path (absolute, or from the current directory) inside it; a folder stands
 * for every regular file under it. Symbolic links are not followed, and the
 * local driver's own files (its metadata folder, its temporary files) are
 * left out. Every bad path is named in one usage error before anything is sent.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { META_DIR, TEMP_PREFIX } from '@stowage/driver-local';
import { CliError } from './exit-codes.js';

/** One result file: its key on the results disk and its size. */
export interface ResultFile {
  readonly path: string;
  readonly size: number;
}

function inside(root: string, absolute: string): string | undefined {
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return rel === '' ? '' : undefined;
  return rel;
}

/** Where `arg` is on the results disk (a relative path, '' for the root), or undefined. */
async function locate(root: string, cwd: string, arg: string): Promise<string | undefined> {
  const fromCwd = resolve(cwd, arg);
  const rel = inside(root, fromCwd);
  if (rel !== undefined && (await lstat(fromCwd).catch(() => undefined))) return rel;
  if (isAbsolute(arg)) return undefined;
  const fromRoot = inside(root, resolve(root, arg));
  return fromRoot !== undefined && (await lstat(resolve(root, arg)).catch(() => undefined)) ? fromRoot : undefined;
}

function skipped(entry: Dirent): boolean {
  return entry.name === META_DIR || entry.name.startsWith(TEMP_PREFIX) || entry.name === '.stowage-probe';
}

async function* walk(root: string, rel: string): AsyncGenerator<ResultFile> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (skipped(entry)) continue;
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(root, child);
    else if (entry.isFile()) yield { path: child, size: (await lstat(join(root, child))).size };
  }
}

/** The result files the arguments name, each once, in argument then name order. */
export async function resultFiles(root: string, cwd: string, args: readonly string[]): Promise<ResultFile[]> {
  const problems: string[] = [];
  const files = new Map<string, ResultFile>();
  for (const arg of args) {
    const rel = await locate(root, cwd, arg);
    if (rel === undefined) {
      problems.push(`${arg}: not found on the results disk (${root})`);
      continue;
    }
    const key = rel.split(sep).join('/');
    const info = await lstat(join(root, rel));
    if (info.isDirectory()) {
      for await (const file of walk(root, key)) files.set(file.path, file);
    } else if (info.isFile()) {
      files.set(key, { path: key, size: info.size });
    } else problems.push(`${arg}: not a regular file or folder`);
  }
  if (problems.length > 0) throw new CliError('USAGE', `offload: ${problems.join('; ')}`);
  return [...files.values()];
}
