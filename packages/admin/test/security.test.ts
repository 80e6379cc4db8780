/**
 * The admin's guard rails, through real Requests against a real Storage: no
 * handler without authorize(), 401 for everyone it refuses, cross-site
 * state changes refused before anything else, CSRF tokens tied to the
 * session, and the security headers on every answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CsrfTokens } from '../src/csrf.js';
import { type AdminHandlerOptions, BINDING_COOKIE, createAdminHandler } from '../src/index.js';
import { type AdminWorld, CSRF_SECRET, ORIGIN, openAdminWorld, SESSION_COOKIE } from './support.js';

let world: AdminWorld;
beforeEach(async () => {
  world = await openAdminWorld();
});
afterEach(async () => {
  await world.close();
});

function expectSecurityHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{20,}'(;|$)/);
  expect(csp).not.toContain('unsafe-inline');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('same-origin');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

describe('creating the handler', () => {
  it('refuses to exist without authorize(): there is no default that lets anyone in', () => {
    const options = { storage: world.storage, definitions: world.definitions } as unknown as AdminHandlerOptions;
    expect(() => createAdminHandler(options)).toThrow(/authorize: required.*no default that lets anyone in/);
    expect(() => createAdminHandler({ ...options, authorize: 'yes' } as unknown as AdminHandlerOptions)).toThrow(
      /authorize: required/,
    );
  });

  it('names every bad option at once', () => {
    let message = '';
    try {
      createAdminHandler({
        storage: world.storage,
        authorize: () => true,
        definitions: world.definitions,
        basePath: 'admin/../x',
        csrfSecret: 'short',
        allowedOrigins: ['https://admin.example.com/'],
        maxBodyBytes: 10,
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('basePath: must be a path');
    expect(message).toContain('csrfSecret: must be a string of at least 32 characters');
    expect(message).toContain('allowedOrigins: each must be an origin');
    expect(message).toContain('maxBodyBytes: must be a whole number of bytes');
  });

  it('refuses definitions whose fields would show a secret in the clear', () => {
    const [nas] = world.definitions;
    if (!nas) throw new Error('no definition');
    const leaky = {
      ...nas,
      fields: nas.fields.map((field) => (field.name === 'signingSecret' ? { ...field, kind: 'text' } : field)),
    };
    expect(() =>
      createAdminHandler({ storage: world.storage, authorize: () => true, definitions: [leaky as typeof nas] }),
    ).toThrow(/definitions\.nas\.fields\.signingSecret: is in secretFields, so its kind is "secret"/);
  });
});

describe('authorization', () => {
  it('answers 401 with a plain page on the HTML route and JSON on the API', async () => {
    const page = await world.send('/', { signedIn: false });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<h1>Sign in required</h1>');
    expect(html).not.toContain('Secret Access Key');
    expectSecurityHeaders(page);

    const api = await world.send('/api/providers', { signedIn: false });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await api.json()).toEqual({
      error: 'Sign in required',
      problems: ['sign in as an admin to change storage settings'],
    });
    expectSecurityHeaders(api);
  });

  it('counts anything but an allow as a refusal, and a state change by a refused caller changes nothing', async () => {
    for (const decision of ['yes', 1, undefined, null, { allow: 'true' }, {}]) {
      const handler = createAdminHandler({
        storage: world.storage,
        authorize: () => decision as never,
        definitions: world.definitions,
      });
      expect((await handler(new Request(`${ORIGIN}/api/providers`))).status, JSON.stringify(decision)).toBe(401);
    }
    const token = await world.csrf();
    const response = await world.send('/api/providers/nas/enable', {
      method: 'POST',
      signedIn: false,
      headers: { 'x-csrf-token': token },
    });
    expect(response.status).toBe(401);
    expect(world.storage.registry.provider('nas').enabled).toBe(false);
  });

  it('answers 500 without detail when authorize() throws, and logs it', async () => {
    const handler = createAdminHandler({
      storage: world.storage,
      authorize: () => {
        throw new Error('session store down');
      },
      definitions: world.definitions,
      logger: world.logger,
    });
    const response = await handler(new Request(`${ORIGIN}/api/providers`));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: 'Something went wrong',
      problems: ['authorization could not be checked'],
    });
    expectSecurityHeaders(response);
    expect(world.logger.lines.join('\n')).toContain('session store down');
  });
});

describe('cross-site requests', () => {
  const cases: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site', origin: 'http://other.admin.test' }],
    ['another Origin', { origin: 'http://evil.example' }],
    ['Origin: null (a sandboxed page or a redirect)', { origin: 'null' }],
  ];
  it.each(cases)(
    'refuses a state change with %s (403) before authorize() runs, with a valid token',
    async (_, headers) => {
      let asked = 0;
      const handler = createAdminHandler({
        storage: world.storage,
        authorize: () => {
          asked++;
          return { allow: true, session: 'admin-1' };
        },
        definitions: world.definitions,
        csrfSecret: CSRF_SECRET,
      });
      const token = new CsrfTokens(CSRF_SECRET).issue('session:admin-1');
      const response = await handler(
        new Request(`${ORIGIN}/default`, {
          method: 'POST',
          headers: { ...headers, cookie: SESSION_COOKIE, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: token, name: 'local' }),
        }),
      );
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('refused: the request');
      expectSecurityHeaders(response);
      expect(asked).toBe(0);
    },
  );

  it('accepts the same request from its own origin, from an allowed origin behind a proxy, and from a program', async () => {
    const token = await world.csrf();
    const post = (headers: Record<string, string>, handler = world.handler) =>
      handler(
        new Request(`${ORIGIN}/admin/storage/api/default`, {
          method: 'POST',
          headers: { ...headers, cookie: SESSION_COOKIE, 'content-type': 'application/json', 'x-csrf-token': token },
          body: JSON.stringify({ name: 'local' }),
        }),
      );
    expect((await post({ origin: ORIGIN, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await post({})).status).toBe(200);
    expect((await post({ origin: 'https://admin.example.com' })).status).toBe(403);
    const proxied = createAdminHandler({
      storage: world.storage,
      authorize: () => ({ allow: true, session: 'admin-1' }),
      definitions: world.definitions,
      basePath: '/admin/storage',
      csrfSecret: CSRF_SECRET,
      allowedOrigins: ['https://admin.example.com'],
    });
    expect((await post({ origin: 'https://admin.example.com', 'sec-fetch-site': 'same-origin' }, proxied)).status).toBe(
      200,
    );
  });
});

describe('CSRF tokens', () => {
  const enableNas = (token: string | undefined, cookie = SESSION_COOKIE) =>
    world.send('/api/providers/nas/enable', {
      method: 'POST',
      headers: { cookie, origin: ORIGIN, ...(token === undefined ? {} : { 'x-csrf-token': token }) },
    });

  it('refuses a state change without a token, with a tampered one, with another session’s, and with an old one', async () => {
    const tokens = new CsrfTokens(CSRF_SECRET);
    const good = await world.csrf();
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'AB' : 'AA'}`;
    const otherSession = tokens.issue('session:admin-2');
    const old = tokens.issue('session:admin-1', Date.now() - 13 * 60 * 60 * 1000);
    const fromOtherSecret = new CsrfTokens('another-secret-0123456789abcdefghijklmno').issue('session:admin-1');
    const answers = [];
    for (const token of [undefined, '', 'garbage', tampered, otherSession, old, fromOtherSecret]) {
      const response = await enableNas(token);
      answers.push([response.status, ((await response.json()) as { problems: string[] }).problems[0]]);
    }
    expect(answers.map(([status]) => status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(answers[0]?.[1]).toMatch(/CSRF token is missing/);
    expect(answers[3]?.[1]).toMatch(/does not belong to this session/);
    expect(answers[4]?.[1]).toMatch(/does not belong to this session/);
    expect(answers[5]?.[1]).toMatch(/too old/);
    expect(world.logger.lines.filter((line) => line.includes('request refused'))).toHaveLength(7);
  });

  it('accepts the session’s token from the x-csrf-token header (API) and the _csrf form field (page)', async () => {
    await world.storage.registry.saveSettings('nas', { root: await world.folder('nas') });
    const token = await world.csrf();
    const api = await enableNas(token);
    expect(api.status).toBe(200);
    expect(((await api.json()) as { provider: { enabled: boolean } }).provider.enabled).toBe(true);
    const page = await world.form('/providers/nas/disable', {});
    expect(page.status).toBe(200);
    expect(world.storage.registry.provider('nas').enabled).toBe(false);
  });

  it('without a session from authorize(), ties tokens to the admin’s own HttpOnly, SameSite=Strict cookie', async () => {
    await world.storage.registry.saveSettings('nas', { root: await world.folder('nas') });
    const handler = createAdminHandler({
      storage: world.storage,
      authorize: () => true,
      definitions: world.definitions,
      basePath: '/admin/storage',
    });
    const first = await handler(new Request(`${ORIGIN}/admin/storage/api/csrf`));
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      new RegExp(`^${BINDING_COOKIE}=[A-Za-z0-9_-]{32}; Path=/admin/storage; HttpOnly; SameSite=Strict$`),
    );
    const cookie = setCookie.split(';')[0] ?? '';
    const { token } = (await first.json()) as { token: string };
    const enable = (headers: Record<string, string>) =>
      handler(
        new Request(`${ORIGIN}/admin/storage/api/providers/nas/enable`, {
          method: 'POST',
          headers: { 'x-csrf-token': token, ...headers },
        }),
      );
    expect((await enable({})).status).toBe(403); // no cookie: a new binding, the token is not its
    expect((await enable({ cookie: `${BINDING_COOKIE}=${'x'.repeat(32)}` })).status).toBe(403);
    expect((await enable({ cookie })).status).toBe(200);
    const again = await handler(new Request(`${ORIGIN}/admin/storage/`, { headers: { cookie } }));
    expect(again.headers.get('set-cookie')).toBeNull();

    const secure = await handler(new Request('https://admin.example.com/admin/storage/api/csrf'));
    expect(secure.headers.get('set-cookie')).toMatch(/; Secure$/);
  });
});

describe('every answer', () => {
  it('carries the security headers, a fresh nonce each time, and the page’s script and style use it', async () => {
    const first = await world.send('/');
    const second = await world.send('/');
    expect(first.status).toBe(200);
    expectSecurityHeaders(first);
    const nonceOf = (response: Response) =>
      /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
    const nonce = nonceOf(first);
    expect(nonce).toBeDefined();
    expect(nonce).not.toBe(nonceOf(second));
    const html = await first.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/ on[a-z]+="/); // no inline event handlers, which the CSP would block anyway
    expect(html).not.toMatch(/ style="/);
    for (const response of [
      await world.send('/api/providers'),
      await world.send('/nowhere'),
      await world.send('/api/providers', { method: 'DELETE', headers: { origin: ORIGIN } }),
      await world.handler(new Request(`${ORIGIN}/elsewhere`)),
    ]) {
      expectSecurityHeaders(response);
    }
  });

  it('answers 404 outside the base path and for unknown routes, 405 with Allow for a wrong method, no body for HEAD', async () => {
    expect((await world.handler(new Request(`${ORIGIN}/admin/storagex`))).status).toBe(404);
    expect((await world.send('/api/nothing')).status).toBe(404);
    expect((await world.send('/api/providers/NOT valid')).status).toBe(404);
    expect((await world.send('/api/providers/unknown')).status).toBe(404);
    const wrong = await world.send('/api/stats', {
      method: 'POST',
      headers: { origin: ORIGIN, 'x-csrf-token': await world.csrf() },
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    const head = await world.send('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(
      (await world.handler(new Request(`${ORIGIN}/admin/storage`, { headers: { cookie: SESSION_COOKIE } }))).status,
    ).toBe(200);
  });

  it('refuses bad bodies with the problem named and nothing echoed: 400 bad JSON, 413 too large, 415 wrong type', async () => {
    const token = await world.csrf();
    const put = (body: string, type = 'application/json') =>
      world.send('/api/providers/nas', {
        method: 'PUT',
        headers: { 'content-type': type, origin: ORIGIN, 'x-csrf-token': token },
        body,
      });
    const badJson = await put('{"root": "/srv/secret-path-xyz",');
    expect(badJson.status).toBe(400);
    const badText = await badJson.text();
    expect(JSON.parse(badText)).toEqual({ error: 'Bad request', problems: ['the body is not valid JSON'] });
    expect(badText).not.toContain('secret-path-xyz');
    expect(((await (await put('["a"]')).json()) as { problems: string[] }).problems).toEqual([
      'the body must be a JSON object',
    ]);
    expect((await put('x'.repeat(70 * 1024))).status).toBe(413);
    expect((await put('<root/>', 'application/xml')).status).toBe(415);
    expect((await put('root=/srv', 'application/x-www-form-urlencoded')).status).toBe(415);
  });
});
