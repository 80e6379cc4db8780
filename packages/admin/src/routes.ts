/**
 * The route table: method, path pattern under the base path (":name" matches
 * one segment), whether it is part of the JSON API, and the handler. A new
 * route (e.g. targets) is one more entry.
 */
import type { ResolvedAdminOptions } from './options.js';
import type { Reply } from './reply.js';
import type { ParsedBody } from './request-body.js';

/** What a route handler gets. */
export interface RouteContext {
  readonly request: Request;
  readonly options: ResolvedAdminOptions;
  /** Path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed body of a state-changing request; `none` for GET. */
  readonly body: ParsedBody;
  /** The nonce of this response's inline script and style. */
  readonly nonce: string;
  /** A fresh CSRF token for the forms this response renders. */
  readonly csrfToken: string;
}

/** One route. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path under the base path, e.g. "/api/providers/:name". */
  readonly path: string;
  /** Part of the JSON API (JSON refusals) rather than the page (HTML refusals). */
  readonly api: boolean;
  handle(context: RouteContext): Promise<Reply>;
}

/** Provider names, as the registry allows them. */
const PARAMETER = /^[a-z0-9][a-z0-9-]*$/;

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const actual = have[index] ?? '';
    if (segment.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      if (!PARAMETER.test(decoded)) return undefined;
      params[segment.slice(1)] = decoded;
    } else if (segment !== actual) return undefined;
  }
  return params;
}

/** The route for `method` and `path`, or the methods the path allows, or nothing. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
):
  | { readonly route: Route; readonly params: Record<string, string> }
  | { readonly allowed: readonly string[] }
  | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method === wanted) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length === 0) return undefined;
  return { allowed: allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed };
}

/** True for paths of the JSON API, whose refusals are JSON. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
