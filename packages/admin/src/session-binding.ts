/**
 * What a CSRF token is tied to. When the app's `authorize()` names a session,
 * the token is tied to it. When it does not (e.g. the app checks a header
 * its proxy sets), the admin ties tokens to a random id in a cookie of its
 * own: HttpOnly, SameSite=Strict, scoped to the admin's path, Secure over HTTPS.
 */
import { randomBytes } from 'node:crypto';

/** The admin's own cookie, used only when `authorize()` returns no session. */
export const BINDING_COOKIE = 'stowage_admin_csrf';

const COOKIE_VALUE = /^[A-Za-z0-9_-]{24,64}$/;

/** The binding of one request, and the cookie to set when a new one was made. */
export interface SessionBinding {
  readonly binding: string;
  readonly setCookie: string | undefined;
}

/** The value of cookie `name` in the request's Cookie header, if any. */
function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * The binding for `request`: the app's session when there is one, else the
 * admin's cookie, made now (with the Set-Cookie header to send) when missing
 * or malformed.
 */
export function sessionBinding(request: Request, session: string | undefined, cookiePath: string): SessionBinding {
  if (session !== undefined) return { binding: `session:${session}`, setCookie: undefined };
  const existing = cookieValue(request, BINDING_COOKIE);
  if (existing !== undefined && COOKIE_VALUE.test(existing)) {
    return { binding: `cookie:${existing}`, setCookie: undefined };
  }
  const id = randomBytes(24).toString('base64url');
  const secure = new URL(request.url).protocol === 'https:' ? '; Secure' : '';
  return {
    binding: `cookie:${id}`,
    setCookie: `${BINDING_COOKIE}=${id}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure}`,
  };
}
