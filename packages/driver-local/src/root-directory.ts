import { mkdir, realpath, rmdir, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { ErrorCode, PROBE_KEY_PREFIX, StorageError } from '@stowage/storage-core';
import { errnoCode, fsError, nameConflict } from './fs-errors.js';
import { META_DIR } from './local-keys.js';

/** Suffix of sidecar files; see sidecarPath for why folders get another one. */
const SIDECAR_SUFFIX = '.json';
const SIDECAR_DIR_SUFFIX = '.d';

/** The folder of probe objects: Stowage's own, so it never lingers even when object folders are kept. */
const PROBE_DIR = PROBE_KEY_PREFIX.replace(/\/+$/, '');

/**
 * The driver's root directory and the mapping from keys to paths under it.
 * Every path handed out has been checked, through real paths, to stay inside
 * the root, so a symbolic link inside the root that points elsewhere cannot be
 * used to read or write outside it.
 */
export class RootDirectory {
  readonly path: string;
  readonly #createRoot: boolean;
  readonly #pruneEmptyFolders: boolean;
  #real: string | undefined;

  /**
   * `pruneEmptyFolders` lets the driver remove object folders it leaves empty.
   * Off, it never removes a folder outside its own (`.stowage-meta`, the probe
   * folder), because others write into the results disk with plain
   * `mkdir -p` + write, and a folder removed between those two steps breaks them.
   */
  constructor(path: string, createRoot: boolean, pruneEmptyFolders: boolean) {
    this.path = path;
    this.#createRoot = createRoot;
    this.#pruneEmptyFolders = pruneEmptyFolders;
  }

  /** The root's real path (symlinks resolved); BUCKET_NOT_FOUND when it does not exist. */
  async real(): Promise<string> {
    if (this.#real) return this.#real;
    try {
      if (this.#createRoot) await mkdir(this.path, { recursive: true });
      const resolved = await realpath(this.path);
      if (!(await stat(resolved)).isDirectory()) {
        throw new StorageError(ErrorCode.Misconfigured, `root "${this.path}" is not a directory`);
      }
      this.#real = resolved;
      return resolved;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        throw new StorageError(ErrorCode.BucketNotFound, `root directory "${this.path}" does not exist`, {
          cause: error,
        });
      }
      throw fsError(error, `opening root directory "${this.path}"`);
    }
  }

  /** Where the object `key` lives (unchecked; use the resolve/ensure methods before I/O). */
  objectPath(real: string, key: string): string {
    return join(real, ...key.split('/'));
  }

  /**
   * Where the metadata sidecar of `key` lives: under `<root>/.stowage-meta/`,
   * folders suffixed ".d" and files ".json". Different suffixes mean a sidecar
   * file can never have the name of a sidecar folder (keys "a" and "a.json/x"
   * may coexist), and the reserved first segment means no key can reach it.
   */
  sidecarPath(real: string, key: string): string {
    const segments = key.split('/');
    const name = `${segments.pop()}${SIDECAR_SUFFIX}`;
    return join(real, META_DIR, ...segments.map((segment) => segment + SIDECAR_DIR_SUFFIX), name);
  }

  /**
   * Resolves `path` through real paths and checks the result stays in the root.
   * Returns the resolved path, or undefined when it does not exist.
   */
  async resolveExisting(real: string, path: string, key: string): Promise<string | undefined> {
    let resolved: string;
    try {
      resolved = await realpath(path);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // Still check the deepest existing ancestor: a link to outside is refused even for a missing key.
        await this.#checkDeepestAncestor(real, dirname(path), key);
        return undefined;
      }
      throw fsError(error, 'resolving', key);
    }
    this.#assertInside(real, resolved, key);
    return resolved;
  }

  /**
   * Creates the folders for `path` under the root (after checking the part that
   * already exists stays inside it) and returns the real folder path.
   */
  async ensureParent(real: string, path: string, key: string): Promise<string> {
    const parent = dirname(path);
    await this.#checkDeepestAncestor(real, parent, key);
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(parent, { recursive: true });
        const resolved = await realpath(parent);
        this.#assertInside(real, resolved, key);
        return resolved;
      } catch (error) {
        const code = errnoCode(error);
        // A concurrent delete pruned a folder mkdir had just made (or was making): make it again.
        // Object folders are pruned only with pruneEmptyFolders; sidecar and probe folders always.
        if (code === 'ENOENT' && attempt < 5) continue;
        // mkdir answers EEXIST (or ENOTDIR) when a parent segment is an existing object, i.e. a file.
        if (code === 'EEXIST' || code === 'ENOTDIR') throw nameConflict(key, 'parent', error);
        throw fsError(error, 'creating folders for', key);
      }
    }
  }

  /**
   * Called after a file in the object folder `dir` went away (delete, move,
   * failed write). Removes the folders left empty, from `dir` up to (never
   * including) the root, only when pruneEmptyFolders is on or `dir` is in the
   * probe folder; otherwise leaves them, since someone may be about to write there.
   */
  async pruneObjectFolders(real: string, dir: string): Promise<void> {
    if (this.#pruneEmptyFolders || isInside(join(real, PROBE_DIR), dir)) await pruneUpwards(dir, real);
  }

  /**
   * Called after a sidecar (or its temp file) in `dir` went away. Sidecar
   * folders are the driver's own, so empty ones are always removed, up to and
   * including `.stowage-meta` itself; never anything outside it.
   */
  async pruneSidecarFolders(real: string, dir: string): Promise<void> {
    if (isInside(join(real, META_DIR), dir)) await pruneUpwards(dir, real);
  }

  async #checkDeepestAncestor(real: string, dir: string, key: string): Promise<void> {
    let current = dir;
    for (;;) {
      try {
        this.#assertInside(real, await realpath(current), key);
        return;
      } catch (error) {
        const code = errnoCode(error);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(error, 'resolving', key);
        if (current === real || !current.startsWith(real + sep)) return;
        current = dirname(current);
      }
    }
  }

  #assertInside(real: string, resolved: string, key: string): void {
    if (resolved === real || resolved.startsWith(real + sep)) return;
    throw new StorageError(
      ErrorCode.AccessDenied,
      `key "${key}" resolves outside the root directory through a symbolic link`,
      { key },
    );
  }
}

/** True when `path` is `folder` or below it. */
function isInside(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder + sep);
}

/**
 * Removes empty folders from `dir` upwards, stopping at the first one that is
 * not empty (or cannot be removed) and never removing `stop`. rmdir removes
 * only empty folders, so a concurrent write into one simply ends the walk.
 */
async function pruneUpwards(dir: string, stop: string): Promise<void> {
  let current = dir;
  while (current !== stop && current.startsWith(stop + sep)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
