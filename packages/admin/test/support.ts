/**
 * A real Storage for the admin tests: a results disk and other local folders
 * as backends ("nas", "archive"), an in-memory backend, the R2 and MinIO
 * definitions (saved without network), a JSON settings file and the SQLite
 * catalog. Requests are real `Request` objects sent to the real handler.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDriver, localDriverDefinition } from '@stowage/driver-local';
import { createMemoryDriverDefinition } from '@stowage/driver-memory';
import { r2DriverDefinition } from '@stowage/driver-r2';
import { minioDriverDefinition } from '@stowage/driver-s3';
import {
  type AnyDriverDefinition,
  createStorage,
  JsonFileSettingsStore,
  type Logger,
  type Storage,
} from '@stowage/storage-core';
import {
  type AdminAuthorization,
  type AdminHandler,
  type AdminHandlerOptions,
  createAdminHandler,
} from '../src/index.js';

const TEST_APP_KEY = 'admin-test-app-key-0123456789abcdefghijklmnop';
export const CSRF_SECRET = 'csrf-secret-for-tests-0123456789abcdefghijkl';
/** The app's session cookie the test `authorize()` accepts, and the session it stands for. */
export const SESSION_COOKIE = 'app_session=admin-1';
export const ORIGIN = 'http://admin.test';

/** A logger that keeps every line, to prove no secret is ever logged. */
function capturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** The test app's authorize(): its session cookie lets an admin in, tied to session "admin-1". */
export function cookieAuthorize(request: Request): AdminAuthorization {
  const cookies = request.headers.get('cookie') ?? '';
  return cookies.split(/;\s*/).includes(SESSION_COOKIE) ? { allow: true, session: 'admin-1' } : false;
}

export interface AdminWorld {
  readonly dir: string;
  readonly resultsRoot: string;
  readonly storage: Storage;
  readonly handler: AdminHandler;
  readonly logger: ReturnType<typeof capturingLogger>;
  readonly definitions: readonly AnyDriverDefinition[];
  /** A folder under the world's directory. */
  folder(name: string): Promise<string>;
  /** Sends a request to the handler, as the signed-in admin unless `signedIn: false`. */
  send(path: string, init?: RequestInit & { signedIn?: boolean }): Promise<Response>;
  /** A CSRF token for the signed-in admin's session. */
  csrf(): Promise<string>;
  /** A JSON API call with the admin's session and CSRF token. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
  /** A form post with the admin's session, same origin, and CSRF token. */
  form(path: string, fields: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Opens a world; `overrides` change the handler's options. */
export async function openAdminWorld(overrides: Partial<AdminHandlerOptions> = {}): Promise<AdminWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-admin-'));
  const resultsRoot = join(dir, 'results');
  await mkdir(resultsRoot, { recursive: true });
  const memory = createMemoryDriverDefinition('memory');
  // A second local folder (a NAS mount) as a backend, under a name and label of its own.
  const nas: AnyDriverDefinition = { ...localDriverDefinition, name: 'nas', label: 'NAS folder' };
  const definitions: AnyDriverDefinition[] = [nas, memory, r2DriverDefinition, minioDriverDefinition];
  const storage = await createStorage({
    store: new JsonFileSettingsStore(join(dir, 'settings.json')),
    appKey: TEST_APP_KEY,
    local: createLocalDriver({ root: resultsRoot }),
  });
  storage.registry.register(nas);
  storage.registry.register(memory);
  storage.registry.register(r2DriverDefinition);
  storage.registry.register(minioDriverDefinition);
  const logger = capturingLogger();
  const handler = createAdminHandler({
    storage,
    authorize: cookieAuthorize,
    definitions,
    basePath: '/admin/storage',
    csrfSecret: CSRF_SECRET,
    logger,
    ...overrides,
  });
  const base = overrides.basePath ?? '/admin/storage';
  const send = (path: string, init: RequestInit & { signedIn?: boolean } = {}) => {
    const { signedIn = true, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (signedIn && !headers.has('cookie')) headers.set('cookie', SESSION_COOKIE);
    return handler(new Request(`${ORIGIN}${base}${path}`, { ...rest, headers }));
  };
  const csrf = async () => ((await (await send('/api/csrf')).json()) as { token: string }).token;
  return {
    dir,
    resultsRoot,
    storage,
    handler,
    logger,
    definitions,
    async folder(name) {
      const path = join(dir, name);
      await mkdir(path, { recursive: true });
      return path;
    },
    send,
    csrf,
    async api(method, path, body) {
      return send(path, {
        method,
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          'sec-fetch-site': 'same-origin',
          'x-csrf-token': await csrf(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async form(path, fields) {
      return send(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: ORIGIN,
          'sec-fetch-site': 'same-origin',
        },
        body: new URLSearchParams({ _csrf: await csrf(), ...fields }),
      });
    },
    async close() {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
