/**
 * The redacted views of providers that admin screens and APIs see. A view
 * never contains a secret: `secrets` says only whether each one is set, and a
 * secret pasted into another field (in any case, or URL-encoded) is scrubbed
 * out of the settings and problems shown.
 */
import { redactSecrets, type SecretState, secretStates } from '../settings/redaction.js';
import type { StoredProviderEntry } from '../settings/store.js';
import type { DocumentTrust, SettingsVault } from '../settings/vault.js';
import { type AnyDriverDefinition, unregisteredBackend } from './definitions.js';

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
  /** How new objects are named (see key-template.ts); undefined: their relative path on the results disk. */
  readonly keyTemplate: string | undefined;
  /** Non-secret settings as entered. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Whether each secret field is set. */
  readonly secrets: Readonly<Record<string, SecretState>>;
  /** Why the stored settings cannot be used right now (wrong application key, invalid fields...); empty when usable. */
  readonly problems: readonly string[];
  readonly updatedAt: string | undefined;
}

/** The view of the results disk: always configured and enabled, configured by the app (its root), no secrets. */
export function localProviderView(root: string, isDefault: boolean, problems: readonly string[] = []): ProviderView {
  return {
    name: 'local',
    label: 'Local disk',
    configured: true,
    enabled: true,
    isDefault,
    deleteLocal: false,
    keyTemplate: undefined,
    settings: { root },
    secrets: {},
    problems: [...problems],
    updatedAt: undefined,
  };
}

/** What the view of a provider is built from; either a definition or a stored entry (or both) exists. */
export interface ProviderViewSource {
  readonly name: string;
  readonly definition: AnyDriverDefinition | undefined;
  readonly entry: StoredProviderEntry | undefined;
  readonly isDefault: boolean;
  /** Why the stored settings cannot be used, as the registry found them. */
  readonly problems: readonly string[];
  /** The provider's secret values, when the registry could decrypt them: scrubbed from everything shown. */
  readonly secretValues: readonly unknown[];
}

/** The redacted view of a registered or stored provider. */
export function providerView(source: ProviderViewSource): ProviderView {
  const { name, definition, entry, secretValues } = source;
  const secrets = entry?.secrets ?? {};
  const scrub = (value: unknown) => (typeof value === 'string' ? redactSecrets(value, secretValues) : value);
  return {
    name,
    label: definition?.label ?? name,
    configured: entry !== undefined,
    enabled: entry?.enabled ?? false,
    isDefault: source.isDefault,
    deleteLocal: entry?.deleteLocal ?? false,
    keyTemplate: scrub(entry?.keyTemplate) as string | undefined,
    settings: Object.fromEntries(Object.entries(entry?.settings ?? {}).map(([field, value]) => [field, scrub(value)])),
    secrets: secretStates(definition?.secretFields ?? Object.keys(secrets), secrets),
    problems: source.problems.map((problem) => redactSecrets(problem, secretValues)),
    updatedAt: entry?.updatedAt,
  };
}

/** What the registry knows of a provider when it asks why its settings cannot be used. */
export interface ProblemSource {
  readonly name: string;
  readonly definition: AnyDriverDefinition | undefined;
  readonly entry: StoredProviderEntry | undefined;
  /** It is the chosen default: a default choice that is not trusted is its problem. */
  readonly isDefault: boolean;
  readonly vault: SettingsVault;
  readonly trust: DocumentTrust;
}

/**
 * Why a provider's stored settings cannot be used right now: the first reason
 * found (no driver registered, settings that do not open), else an untrusted
 * default choice when it is the one chosen; empty when usable or not stored.
 */
export function viewProblems(source: ProblemSource): string[] {
  const { name, definition, entry, trust } = source;
  if (!definition) return [unregisteredBackend(name).message];
  if (entry) {
    try {
      source.vault.open(name, definition, entry, trust);
    } catch (error) {
      return [(error as Error).message];
    }
  }
  return defaultProblems(trust, source.isDefault && entry !== undefined);
}

/** The untrusted default choice's problem, for the view of the backend it names. */
export function defaultProblems(trust: DocumentTrust, isDefault: boolean): string[] {
  return isDefault && trust.defaultProblem ? [trust.defaultProblem.message] : [];
}
