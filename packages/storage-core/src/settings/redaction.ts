/**
 * Keeping secrets out of everything a caller or a log sees: splitting entered
 * settings into plain and secret fields, the "blank keeps the stored secret"
 * rule, and the redacted view that says only whether each secret is set.
 */

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

/** A copy of `settings` with every secret field replaced by "[redacted]", for logs and error details. */
export function redactSettings(
  settings: Readonly<Record<string, unknown>>,
  secretFields: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([field, value]) => [field, secretFields.includes(field) ? '[redacted]' : value]),
  );
}
