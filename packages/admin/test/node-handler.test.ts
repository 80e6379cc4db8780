/**
 * The node:http adapter: the admin mounted under an app's own route on a
 * real server, next to the app's other routes; bodies streamed in, headers
 * (several Set-Cookie included) and bodies written out.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdminHandler, toNodeHandler } from '../src/index.js';
import { type AdminWorld, openAdminWorld, SESSION_COOKIE } from './support.js';

let world: AdminWorld;
let server: Server;
let origin: string;

beforeEach(async () => {
  world = await openAdminWorld();
  const admin = toNodeHandler(
    createAdminHandler({
      storage: world.storage,
      authorize: (request) => request.headers.get('cookie')?.includes(SESSION_COOKIE) === true,
      definitions: world.definitions,
      basePath: '/admin/storage',
    }),
  );
  server = createServer((request, response) => {
    if (request.url?.startsWith('/admin/storage')) {
      void admin(request, response);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('the app');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await world.close();
});

describe('toNodeHandler', () => {
  it('serves the page under the app’s route, with its headers and the binding cookie', async () => {
    expect(await (await fetch(`${origin}/`)).text()).toBe('the app');
    expect((await fetch(`${origin}/admin/storage/`)).status).toBe(401);
    const page = await fetch(`${origin}/admin/storage/`, { headers: { cookie: SESSION_COOKIE } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.getSetCookie()).toHaveLength(1);
    expect(await page.text()).toContain('<h1>Storage settings</h1>');
  });

  it('streams a form post in and answers it', async () => {
    const nasRoot = await world.folder('nas');
    const first = await fetch(`${origin}/admin/storage/api/csrf`, { headers: { cookie: SESSION_COOKIE } });
    const binding = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const { token } = (await first.json()) as { token: string };
    const cookie = `${SESSION_COOKIE}; ${binding}`;
    const saved = await fetch(`${origin}/admin/storage/providers/nas`, {
      method: 'POST',
      headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, root: nasRoot }),
    });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Settings saved.');
    expect(world.storage.registry.provider('nas').settings.root).toBe(nasRoot);

    const tooLarge = await fetch(`${origin}/admin/storage/api/providers/nas`, {
      method: 'PUT',
      headers: { cookie, origin, 'content-type': 'application/json', 'x-csrf-token': token },
      body: JSON.stringify({ root: 'x'.repeat(100 * 1024) }),
    });
    expect(tooLarge.status).toBe(413);

    const crossSite = await fetch(`${origin}/admin/storage/providers/nas`, {
      method: 'POST',
      headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, root: '/' }),
    });
    expect(crossSite.status).toBe(403);
    expect(world.storage.registry.provider('nas').settings.root).toBe(nasRoot);
  });

  it('answers 400, not 500, to a Host header that makes no URL', async () => {
    const port = new URL(origin).port;
    const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        { host: '127.0.0.1', port, path: '/admin/storage/api/providers', headers: { host: 'bad host:x' } },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode, body }));
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(answer).toEqual({
      status: 400,
      body: 'bad request: the Host header or the request target is not a valid URL',
    });
  });

  it('takes the origin from the Host header, never from a request target such as "//other.example/..."', async () => {
    // An admin on a server of its own (every request goes to it): a page of evil.example can make the browser
    // send the path "//evil.example/admin/storage/..." to this host, with Origin: http://evil.example.
    const alone = createServer(
      toNodeHandler(
        createAdminHandler({
          storage: world.storage,
          authorize: (request) => request.headers.get('cookie')?.includes(SESSION_COOKIE) === true,
          definitions: world.definitions,
          basePath: '/admin/storage',
        }),
      ),
    );
    await new Promise<void>((resolve) => alone.listen(0, '127.0.0.1', resolve));
    try {
      const port = (alone.address() as AddressInfo).port;
      const first = await fetch(`http://127.0.0.1:${port}/admin/storage/api/csrf`, {
        headers: { cookie: SESSION_COOKIE },
      });
      const binding = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      const { token } = (await first.json()) as { token: string };
      const nasRoot = await world.folder('nas-kept');
      await world.storage.registry.saveSettings('nas', { root: nasRoot });
      // fetch() normalises such a path away; node:http sends the request target as given, as a browser would.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const sent = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'PUT',
            path: '//evil.example/admin/storage/api/providers/nas',
            headers: {
              cookie: `${SESSION_COOKIE}; ${binding}`,
              origin: 'http://evil.example',
              'content-type': 'application/json',
              'x-csrf-token': token,
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode));
          },
        );
        sent.on('error', reject);
        sent.end(JSON.stringify({ root: '/' }));
      });
      // The path "//evil.example/admin/storage/..." is not under the base path of this host.
      expect(status).toBe(404);
      expect(world.storage.registry.provider('nas').settings.root).toBe(nasRoot);
    } finally {
      alone.closeAllConnections();
      await new Promise((resolve) => alone.close(resolve));
    }
  });
});
