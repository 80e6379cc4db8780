/**
 * `createAdminHandler()`: a fetch-style `(Request) => Promise<Response>` the
 * app mounts under its admin route. Every request goes through the same
 * steps, in this order:
 *
 * 1. a state-changing request (anything but GET/HEAD) from another origin or
 *    site is refused (403), before anything else happens;
 * 2. the app's `authorize()` decides; a refusal is 401 (JSON for the API, a
 *    plain page otherwise);
 * 3. a state-changing request's body is read (size-capped) and its CSRF
 *    token checked against the session (403 when missing, wrong or old);
 * 4. the route runs; refusals it raises are answered with their problems;
 * 5. every answer gets the security headers, and any secret the request
 *    carried is cut out of it.
 */
import { errorFacts } from '@stowage/storage-core';
import { API_ROUTES } from './api-routes.js';
import { CSRF_FIELD, CSRF_HEADER, type CsrfProblem, CsrfTokens } from './csrf.js';
import { HttpProblem, problemOf } from './http-problem.js';
import { type AdminAuthorization, type AdminHandlerOptions, resolveAdminOptions } from './options.js';
import { PAGE_ROUTES } from './page-routes.js';
import { problemReply, type Reply } from './reply.js';
import { type ParsedBody, readBody } from './request-body.js';
import { isApiPath, matchRoute, type Route } from './routes.js';
import { crossOriginProblem, SAFE_METHODS } from './same-origin.js';
import { scrubSecrets, secretsIn } from './scrub-secrets.js';
import { applySecurityHeaders, newNonce } from './security-headers.js';
import { sessionBinding } from './session-binding.js';

/** A fetch-style request handler. */
export type AdminHandler = (request: Request) => Promise<Response>;

const ROUTES: readonly Route[] = [...API_ROUTES, ...PAGE_ROUTES];

const CONTENT_TYPES = { json: 'application/json; charset=utf-8', html: 'text/html; charset=utf-8' } as const;

const CSRF_PROBLEMS: Readonly<Record<CsrfProblem, string>> = {
  missing: 'the CSRF token is missing: reload the page (scripts: GET api/csrf and send it in the x-csrf-token header)',
  invalid: 'the CSRF token does not belong to this session: reload the page and try again',
  expired: 'the form is too old (its CSRF token expired): reload the page and try again',
};

/** The session `authorize()` allowed, or undefined when it refused (anything but an allow counts as a refusal). */
function allowedSession(decision: AdminAuthorization): { session: string | undefined } | undefined {
  if (decision === true) return { session: undefined };
  if (typeof decision === 'object' && decision !== null && decision.allow === true) {
    const session = decision.session;
    return { session: typeof session === 'string' && session !== '' ? session : undefined };
  }
  return undefined;
}

/**
 * Creates the admin handler. Throws INVALID_INPUT at once when an option is
 * wrong, `authorize` first of all: there is no default that lets anyone in.
 */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  const resolved = resolveAdminOptions(options);
  const tokens = new CsrfTokens(resolved.csrfSecret);
  const { logger } = resolved;
  const cookiePath = resolved.basePath === '' ? '/' : resolved.basePath;
  const secretNames = new Set([...resolved.definitions.values()].flatMap((definition) => definition.secretFields));

  const refuse = (request: Request, path: string, status: number, reason: string): HttpProblem => {
    logger.warn({ method: request.method, path, status, reason }, 'storage admin: request refused');
    return new HttpProblem(status, [reason]);
  };

  async function respond(
    request: Request,
    path: string,
    nonce: string,
    carried: { secrets: string[]; setCookie?: string },
  ): Promise<Reply> {
    const changing = !SAFE_METHODS.has(request.method);
    if (changing) {
      const problem = crossOriginProblem(request, resolved.allowedOrigins);
      if (problem) throw refuse(request, path, 403, `refused: ${problem}`);
    }
    let decision: AdminAuthorization;
    try {
      decision = await resolved.authorize(request);
    } catch (error) {
      logger.error({ path, error: errorFacts(error) }, 'storage admin: authorize() threw; request refused');
      throw new HttpProblem(500, ['authorization could not be checked']);
    }
    const allowed = allowedSession(decision);
    if (!allowed) throw refuse(request, path, 401, 'sign in as an admin to change storage settings');
    const { binding, setCookie } = sessionBinding(request, allowed.session, cookiePath);
    carried.setCookie = setCookie;

    let body: ParsedBody = { kind: 'none' };
    if (changing) {
      body = await readBody(request, resolved.maxBodyBytes);
      carried.secrets = secretsIn(body.kind === 'none' ? undefined : body.value, secretNames);
      const token = (body.kind === 'form' ? body.value.get(CSRF_FIELD) : null) ?? request.headers.get(CSRF_HEADER);
      const problem = tokens.check(token, binding);
      if (problem) throw refuse(request, path, 403, CSRF_PROBLEMS[problem]);
    }

    const match = matchRoute(ROUTES, request.method, path);
    if (!match) throw new HttpProblem(404, ['there is nothing here']);
    if ('allowed' in match) {
      throw new HttpProblem(405, [`use ${match.allowed.join(' or ')}`], {
        headers: { allow: match.allowed.join(', ') },
      });
    }
    return match.route.handle({
      request,
      options: resolved,
      params: match.params,
      body,
      nonce,
      csrfToken: tokens.issue(binding),
    });
  }

  return async (request) => {
    const nonce = newNonce();
    const url = new URL(request.url);
    const carried: { secrets: string[]; setCookie?: string } = { secrets: [] };
    const inside = url.pathname === resolved.basePath || url.pathname.startsWith(`${resolved.basePath}/`);
    const path = inside ? url.pathname.slice(resolved.basePath.length) || '/' : url.pathname;
    const api = isApiPath(path);
    let reply: Reply;
    try {
      if (!inside) throw new HttpProblem(404, ['there is nothing here']);
      reply = await respond(request, path, nonce, carried);
    } catch (error) {
      const problem = problemOf(error);
      if (!problem) {
        const facts = errorFacts(error);
        const message = scrubSecrets(String(facts.message), carried.secrets);
        logger.error({ method: request.method, path, error: { ...facts, message } }, 'storage admin: request failed');
      }
      const answer = problem ?? new HttpProblem(500, ['something went wrong; the server log has the details']);
      reply = problemReply(answer, api, nonce);
    }
    const headers = new Headers(reply.headers);
    headers.set('content-type', CONTENT_TYPES[reply.type]);
    if (carried.setCookie) headers.append('set-cookie', carried.setCookie);
    applySecurityHeaders(headers, nonce);
    const body = scrubSecrets(reply.body, carried.secrets);
    return new Response(request.method === 'HEAD' ? null : body, { status: reply.status, headers });
  };
}
