/**
 * The headers every admin response carries, whatever its status: a strict
 * Content-Security-Policy (only this origin's resources; scripts and styles
 * only by the response's nonce; no framing; forms post only here), no
 * caching, no MIME sniffing, no referrer to other sites. See
 * https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Headers_Cheat_Sheet.html
 */
import { randomBytes } from 'node:crypto';

/** A fresh nonce for one response's inline script and style. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The Content-Security-Policy of a response whose inline script and style carry `nonce`. */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Sets the security headers on `headers`, replacing any already there. */
export function applySecurityHeaders(headers: Headers, nonce: string): void {
  headers.set('content-security-policy', contentSecurityPolicy(nonce));
  headers.set('cache-control', 'no-store');
  headers.set('x-content-type-options', 'nosniff');
  // Not "no-referrer": with it, browsers send `Origin: null` on the admin's own form posts
  // (https://fetch.spec.whatwg.org/#serializing-a-request-origin), which the same-origin check
  // must refuse. "same-origin" keeps the Origin for our posts and sends nothing to other sites.
  headers.set('referrer-policy', 'same-origin');
  headers.set('x-frame-options', 'DENY');
  headers.set('cross-origin-opener-policy', 'same-origin');
  headers.set('cross-origin-resource-policy', 'same-origin');
}
