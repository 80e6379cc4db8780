/**
 * What `createAdminHandler()` takes, checked once at creation: a missing
 * `authorize` or another bad option is a clear error then, never an open
 * admin later.
 */
import {
  type AnyDriverDefinition,
  ErrorCode,
  type Logger,
  type Storage,
  StorageError,
  settingsFieldsProblems,
  silentLogger,
} from '@stowage/storage-core';

/**
 * What `authorize()` decides: `true`/`false`, or `{ allow, session }` where
 * `session` is a stable id of the signed-in admin's session (e.g. its id in
 * the app's session store) that CSRF tokens are tied to. Anything else counts
 * as a refusal.
 */
export type AdminAuthorization = boolean | { readonly allow: boolean; readonly session?: string };

/** Options of `createAdminHandler()`. */
export interface AdminHandlerOptions {
  /** The storage whose settings the admin edits (from `createStorage()`). */
  readonly storage: Storage;
  /**
   * Decides whether a request comes from someone allowed to change storage
   * settings. Required: there is no default that lets anyone in. Called for
   * every request; a throw answers 500 and is logged.
   */
  authorize(request: Request): AdminAuthorization | Promise<AdminAuthorization>;
  /**
   * The driver definitions the storage's registry knows (the list given to
   * `createStorage()`), for their settings fields. A backend registered under
   * another name needs its definition under that name: `{ ...localDriverDefinition, name: 'nas' }`.
   */
  readonly definitions: readonly AnyDriverDefinition[];
  /** The path the app mounts the admin under, e.g. "/admin/storage". Default "" (the root). */
  readonly basePath?: string;
  /**
   * The key CSRF tokens are signed with, at least 32 characters. Give the
   * same one to every server of the app; when omitted, each process makes a
   * random one (tokens then last until the process restarts).
   */
  readonly csrfSecret?: string;
  /** Origins (scheme://host[:port]) the admin pages are served from, when a proxy changes the host the app sees. */
  readonly allowedOrigins?: readonly string[];
  /** Where admin actions and refusals are logged (never a secret). Default: nothing logged. */
  readonly logger?: Logger;
  /** Largest request body accepted, in bytes. Default 64 KiB. */
  readonly maxBodyBytes?: number;
}

/** Options after checking, with defaults applied. */
export interface ResolvedAdminOptions {
  readonly storage: Storage;
  readonly authorize: (request: Request) => AdminAuthorization | Promise<AdminAuthorization>;
  readonly definitions: ReadonlyMap<string, AnyDriverDefinition>;
  readonly basePath: string;
  readonly csrfSecret: string | undefined;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

/** Checks `options` and fills in defaults; throws INVALID_INPUT naming every problem. */
export function resolveAdminOptions(options: AdminHandlerOptions): ResolvedAdminOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StorageError(ErrorCode.InvalidInput, 'admin handler options: must be an object');
  }
  const problems: string[] = [];
  if (typeof options.authorize !== 'function') {
    problems.push(
      'authorize: required, a function (request) => boolean | { allow, session } that decides who may change storage settings; there is no default that lets anyone in',
    );
  }
  if (typeof options.storage?.registry?.providers !== 'function') {
    problems.push('storage: required, the Storage from createStorage()');
  }
  const definitions = new Map<string, AnyDriverDefinition>();
  if (!Array.isArray(options.definitions)) {
    problems.push('definitions: required, the driver definitions given to createStorage() (for their settings fields)');
  } else {
    for (const definition of options.definitions) {
      const name = typeof definition?.name === 'string' ? definition.name : '?';
      if (definitions.has(name)) problems.push(`definitions: "${name}" is listed twice`);
      for (const problem of settingsFieldsProblems(definition)) problems.push(`definitions.${name}.${problem}`);
      definitions.set(name, definition);
    }
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (typeof options.basePath !== 'undefined' && (typeof options.basePath !== 'string' || !BASE_PATH.test(basePath))) {
    problems.push(
      'basePath: must be a path such as "/admin/storage" (letters, digits, ".", "_", "~", "-" between slashes)',
    );
  }
  if (
    options.csrfSecret !== undefined &&
    !(typeof options.csrfSecret === 'string' && options.csrfSecret.length >= 32)
  ) {
    problems.push('csrfSecret: must be a string of at least 32 characters');
  }
  const allowedOrigins = new Set<string>();
  for (const origin of options.allowedOrigins ?? []) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      problems.push(
        'allowedOrigins: each must be an origin such as https://admin.example.com (no path or trailing slash)',
      );
    } else allowedOrigins.add(origin);
  }
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1024)) {
    problems.push('maxBodyBytes: must be a whole number of bytes, at least 1024');
  }
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.InvalidInput, `admin handler options: ${problems.join('; ')}`);
  }
  return {
    storage: options.storage,
    authorize: options.authorize,
    definitions,
    basePath,
    csrfSecret: options.csrfSecret,
    allowedOrigins,
    logger: options.logger ?? silentLogger,
    maxBodyBytes,
  };
}
