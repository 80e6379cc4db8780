/**
 * The same-origin check of state-changing requests, before anything else is
 * looked at: a browser says where a request comes from in `Sec-Fetch-Site`
 * (every current browser) and `Origin` (every POST); a request another site
 * made is refused whatever cookies it carries. Requests with neither header
 * come from programs, not from a page, and still need a CSRF token. See
 * https://web.dev/articles/fetch-metadata and
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#verifying-origin-with-standard-headers
 */

/** Methods that never change anything; every other method needs the checks. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Why `request` does not come from this admin's own pages, or undefined when
 * it does (or names no origin at all). `allowedOrigins` adds origins the page
 * is served from when the app sits behind a proxy that changes the host.
 */
export function crossOriginProblem(request: Request, allowedOrigins: ReadonlySet<string>): string | undefined {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') {
    return 'the request was sent by a page of another site (Sec-Fetch-Site)';
  }
  const origin = request.headers.get('origin');
  if (origin === null) return undefined;
  if (origin === new URL(request.url).origin || allowedOrigins.has(origin)) return undefined;
  return 'the request came from another origin (Origin); behind a proxy that changes the host, list the public origin in allowedOrigins';
}
