/**
 * Keeping secrets out of everything a caller or a log sees: splitting entered
 * settings into plain and secret fields, the "blank keeps the stored secret"
 * rule, the redacted view that says only whether each secret is set, and
 * scrubbing a secret out of text it ended up in (a secret pasted into the
 * wrong field travels into URLs, host names and error messages).
 */

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';

/** What a redacted view says about one secret field. */
export interface SecretState {
  readonly set: boolean;
}

/**
 * True for the values an admin form sends for "leave unchanged": undefined,
 * null, an empty or all-whitespace string.
 */
export function isBlankSecret(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * A problem for each entered field whose text holds "[redacted]": what a view
 * shows in place of a secret pasted into that field, never a value anyone
 * meant to enter. A form or a client that sends a view's settings back
 * unchanged would save it over the stored value (and, for a placement field
 * such as a key prefix, start a new target).
 */
export function redactedTextProblems(input: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(input)
    .filter(([, value]) => typeof value === 'string' && value.includes(REDACTED))
    .map(
      ([field]) =>
        `${field}: holds ${REDACTED}, which is what a view shows in place of a secret pasted into this field, not its value; enter the value again, or clear the field`,
    );
}

/** Splits entered settings into non-secret fields and the secret fields that were actually given. */
export function splitSecrets(
  input: Readonly<Record<string, unknown>>,
  secretFields: readonly string[],
): { plain: Record<string, unknown>; secrets: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (secretFields.includes(field)) {
      if (!isBlankSecret(value)) secrets[field] = value;
    } else if (value !== undefined) {
      plain[field] = value;
    }
  }
  return { plain, secrets };
}

/** The redacted state of every secret field: set or not, never the value. */
export function secretStates(
  secretFields: readonly string[],
  stored: Readonly<Record<string, unknown>>,
): Record<string, SecretState> {
  return Object.fromEntries(secretFields.map((field) => [field, { set: stored[field] !== undefined }]));
}

/**
 * A copy of `settings` for logs and error details: every secret field replaced
 * by "[redacted]", and a secret's value scrubbed out of every other text field
 * it was pasted into (see `redactSecrets`).
 */
export function redactSettings(
  settings: Readonly<Record<string, unknown>>,
  secretFields: readonly string[],
): Record<string, unknown> {
  const redacted = redactSecretsIn(
    settings,
    secretFields.map((field) => settings[field]),
  );
  for (const field of secretFields) if (field in redacted) redacted[field] = REDACTED;
  return redacted;
}

/** A copy of `values` with each of `secrets` scrubbed out of every text value (see `redactSecrets`). */
export function redactSecretsIn(
  values: Readonly<Record<string, unknown>>,
  secrets: readonly unknown[],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([field, value]) => [
      field,
      typeof value === 'string' ? redactSecrets(value, secrets) : value,
    ]),
  );
}

/**
 * `text` with every appearance of a secret replaced by "[redacted]": as given,
 * in any letter case (URL parsing lower-cases host names, percent-encoding may
 * be either case), and in its URL-encoded forms (`encodeURIComponent`,
 * `encodeURI`, form encoding with "+" for spaces). Values that are not
 * non-empty strings are ignored.
 */
export function redactSecrets(text: string, secrets: readonly unknown[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue;
    const component = encodeURIComponent(secret);
    for (const form of [secret, component, encodeURI(secret), component.replace(/%20/g, '+')]) forms.add(form);
  }
  if (forms.size === 0) return text;
  // Longest first, so a longer encoded form is replaced whole rather than in part.
  const pattern = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form) => form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
  return text.replace(new RegExp(pattern, 'giu'), REDACTED);
}
