import type { SecretState } from '../settings/redaction.js';

/**
 * What an admin screen or API sees of one provider. Never contains a secret:
 * `secrets` says only whether each one is set.
 */
export interface ProviderView {
  /** Backend name, as used in locations ("r2" in "r2:images/a.png"). */
  readonly name: string;
  /** Human name, e.g. "Cloudflare R2". */
  readonly label: string;
  /** Settings were saved for it (always true for local disk). */
  readonly configured: boolean;
  /** New results may be sent to it (always true for local disk). */
  readonly enabled: boolean;
  /** It is the chosen default backend. */
  readonly isDefault: boolean;
  /** The local copy is removed after a verified offload to it. */
  readonly deleteLocal: boolean;
  /** Non-secret settings as entered. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Whether each secret field is set. */
  readonly secrets: Readonly<Record<string, SecretState>>;
  /** Why the stored settings cannot be used right now (wrong application key, invalid fields...); empty when usable. */
  readonly problems: readonly string[];
  readonly updatedAt: string | undefined;
}
