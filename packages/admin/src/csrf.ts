/**
 * CSRF tokens tied to a session: an HMAC-SHA256, under a secret only the
 * server knows, of the session binding and the time the token was issued.
 * A token proves that this admin handler gave it to this session recently;
 * another session's token, an edited one or an old one is refused. The MAC
 * is compared in constant time. This is the "signed double-submit" pattern of
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a token is accepted after it was issued: a settings page left open for a working day. */
export const CSRF_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

// Tokens "from the future" beyond this are refused; a little leeway covers several servers' clocks.
const CLOCK_LEEWAY_MS = 5 * 60 * 1000;

/** The form field and the request header that carry the token. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Why a token was refused. */
export type CsrfProblem = 'missing' | 'invalid' | 'expired';

/** Issues and checks CSRF tokens with one secret. */
export class CsrfTokens {
  readonly #key: Buffer;

  /** `secret`: at least 32 characters, the same on every server of the app; random for this process when omitted. */
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A token for `binding` (the session it is tied to), issued at `now`. */
  issue(binding: string, now = Date.now()): string {
    const issuedAt = now.toString(36);
    return `${issuedAt}.${this.#mac(binding, issuedAt).toString('base64url')}`;
  }

  /** Undefined when `token` was issued by this secret for `binding` and is still fresh; else why not. */
  check(token: unknown, binding: string, now = Date.now()): CsrfProblem | undefined {
    if (typeof token !== 'string' || token === '') return 'missing';
    const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match?.[1] || !match[2]) return 'invalid';
    const expected = this.#mac(binding, match[1]);
    const given = Buffer.from(match[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    const issuedAt = Number.parseInt(match[1], 36);
    if (issuedAt > now + CLOCK_LEEWAY_MS) return 'invalid';
    if (now - issuedAt > CSRF_TOKEN_TTL_MS) return 'expired';
    return undefined;
  }

  #mac(binding: string, issuedAt: string): Buffer {
    return createHmac('sha256', this.#key).update(`stowage-admin-csrf\n${binding}\n${issuedAt}`).digest();
  }
}
