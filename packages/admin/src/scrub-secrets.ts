/**
 * The last line of defence for "a secret never appears in a response": the
 * secrets a request carried are cut out of whatever the admin answers, in
 * the forms they could take there (as typed, HTML-escaped, JSON-escaped,
 * URL-encoded). The registry's views and messages hold no secrets already;
 * this catches a third-party driver whose error message repeats one.
 */
import { REDACTED, redactSecrets } from '@stowage/storage-core';
import { escapeHtml } from './html.js';

/** What a removed secret is replaced with: the same marker as everywhere in Stowage. */
export const SCRUBBED = REDACTED;

// Shorter values would match ordinary words and numbers of the page.
const MIN_SECRET_LENGTH = 6;

/** The string values of `names` in a JSON body or a form: the secrets this request carried. */
export function secretsIn(
  body: Readonly<Record<string, unknown>> | URLSearchParams | undefined,
  names: ReadonlySet<string>,
): string[] {
  if (body === undefined) return [];
  const values: string[] = [];
  if (body instanceof URLSearchParams) {
    for (const [name, value] of body) if (names.has(name)) values.push(value, value.trim());
  } else {
    for (const [name, value] of Object.entries(body)) {
      if (names.has(name) && typeof value === 'string') values.push(value, value.trim());
    }
  }
  return values.filter((value) => value.length >= MIN_SECRET_LENGTH);
}

/**
 * `text` with every form of every secret in `secrets` replaced: core's
 * `redactSecrets` (as typed, in any letter case, URL-encoded) over the secret
 * and its HTML- and JSON-escaped forms, the ways a page or an answer carries it.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const forms = secrets.flatMap((secret) => [secret, escapeHtml(secret), JSON.stringify(secret).slice(1, -1)]);
  return redactSecrets(text, forms);
}
