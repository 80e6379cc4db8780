/**
 * The settings vault: everything between what an admin types and what a store
 * keeps, and back. It turns entered settings into a candidate (unknown fields
 * refused, `deleteLocal` and `keyTemplate` taken out, secrets merged with the stored ones under
 * "blank keeps", validated by the driver's schema), encrypts and decrypts
 * secrets, and signs and checks stored entries. It holds the only copies of
 * the keys derived from the application key, in `#private` fields.
 *
 * Nothing here touches a store or a driver: the registry decides what to save
 * and when; the vault decides what may be saved and what may be trusted.
 */
import { type DriverDefinition, parseSettings, unknownSettingProblems } from '../driver-definition.js';
import { ConfigError, ErrorCode, StorageError } from '../errors.js';
import { keyTemplateProblems } from '../key-template.js';
import { createSecretCipher, type EncryptedSecret, type SecretCipher } from './crypto.js';
import { createDocumentSigner, type DocumentSigner } from './document-mac.js';
import { type DocumentTrust, documentTrust } from './document-trust.js';
import { createEntrySigner, type EntrySigner } from './entry-mac.js';
import { isBlankSecret, redactedTextProblems, splitSecrets } from './redaction.js';
import type { SettingsDocument, StoredProviderEntry, StoredTarget } from './store.js';

export { type DocumentTrust, UNSIGNED_TRUST } from './document-trust.js';

// biome-ignore lint/suspicious/noExplicitAny: definitions of any settings type share one vault
type AnyDefinition = DriverDefinition<any>;

/** Entered settings after validation: what would be stored, and what the driver gets. */
export interface CandidateSettings {
  readonly deleteLocal: boolean;
  /** The provider's key template (see key-template.ts); undefined: the relative path. */
  readonly keyTemplate: string | undefined;
  /** Non-secret fields as entered: stored in the clear. */
  readonly plain: Record<string, unknown>;
  /** The parsed settings, secrets included: for the driver only. */
  readonly settings: unknown;
  /** Secret fields, encrypted (empty when the candidate was built with `encrypt: false`). */
  readonly encrypted: Record<string, EncryptedSecret>;
}

/** A stored entry as far as it can be trusted. */
export interface TrustedEntry {
  /** The entry, when it passed its integrity check (else undefined: nothing of it is reused). */
  readonly entry: StoredProviderEntry | undefined;
  /** Secret fields of an entry that failed its check: they must be entered again. */
  readonly untrustedSecrets: readonly string[];
  /** Why the entry is not trusted. */
  readonly problem?: StorageError;
}

/** Encrypts, decrypts, signs and checks provider settings with one application key. */
export class SettingsVault {
  readonly #cipher: SecretCipher | undefined;
  readonly #signer: EntrySigner | undefined;
  readonly #documentSigner: DocumentSigner | undefined;
  readonly #keyProblem: StorageError | undefined;

  /**
   * `appKey` undefined: no secrets can be stored and nothing is signed. A key
   * that is too short is not refused here but whenever it would be used, so a
   * registry without secret settings still opens.
   */
  constructor(appKey: string | undefined) {
    if (appKey === undefined) return;
    try {
      this.#cipher = createSecretCipher(appKey);
      this.#signer = createEntrySigner(appKey);
      this.#documentSigner = createDocumentSigner(appKey);
    } catch (error) {
      this.#keyProblem = error as StorageError;
    }
  }

  /** True when entries are signed (an application key was given and accepted). */
  get signs(): boolean {
    return this.#signer !== undefined;
  }

  /**
   * Validates entered settings into what would be stored: unknown fields, the
   * `deleteLocal` flag, the `keyTemplate` (undefined keeps the stored one, ""
   * or null goes back to the relative path), secrets merged with the trusted stored entry ("blank
   * keeps"), then the schema; a value holding "[redacted]" is a view's text
   * sent back, refused. Every problem comes in one ConfigError, and no
   * message repeats an entered value.
   */
  candidate(
    name: string,
    definition: AnyDefinition,
    input: Readonly<Record<string, unknown>>,
    existing: TrustedEntry,
    options: { encrypt: boolean },
  ): CandidateSettings {
    const subject = `settings for "${name}"`;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ConfigError(subject, ['settings must be an object']);
    }
    const { deleteLocal: flag, keyTemplate: template, ...rest } = input;
    const problems = redactedTextProblems(input);
    if (flag !== undefined && typeof flag !== 'boolean') problems.push('deleteLocal: must be true or false');
    const clearsTemplate = template === null || template === '';
    if (template !== undefined && !clearsTemplate) problems.push(...keyTemplateProblems(template));
    const merged = this.#mergeSecrets(name, definition, rest, existing, options.encrypt);
    problems.push(...merged.problems);
    if (problems.length > 0) {
      throw new ConfigError(subject, [...unknownSettingProblems(definition.schema, rest), ...problems]);
    }
    const settings = parseSettings(subject, definition.schema, { ...merged.plain, ...merged.secrets });
    // A lenient (non-strict) schema drops what it does not know: that was no setting either.
    const dropped = Object.keys(merged.plain).filter((field) => !Object.hasOwn(Object(settings), field));
    if (dropped.length > 0)
      throw new ConfigError(
        subject,
        dropped.map((field) => `${field}: unknown setting`),
      );
    const deleteLocal = (flag as boolean | undefined) ?? existing.entry?.deleteLocal ?? false;
    const keyTemplate = clearsTemplate ? undefined : ((template as string | undefined) ?? existing.entry?.keyTemplate);
    return { deleteLocal, keyTemplate, plain: merged.plain, settings, encrypted: merged.encrypted };
  }

  /**
   * The signed entry that stores `candidate` for provider `name`, with its
   * targets (see registry/targets.ts); without `placement` the entry is its own
   * first target.
   */
  seal(
    name: string,
    candidate: CandidateSettings,
    flags: { enabled: boolean },
    placement?: { target: string; targets: readonly StoredTarget[] },
  ): StoredProviderEntry {
    return this.sign({
      name,
      enabled: flags.enabled,
      deleteLocal: candidate.deleteLocal,
      ...(candidate.keyTemplate !== undefined ? { keyTemplate: candidate.keyTemplate } : {}),
      settings: candidate.plain,
      secrets: candidate.encrypted,
      updatedAt: new Date().toISOString(),
      ...(placement ? { target: placement.target, targets: placement.targets } : {}),
    });
  }

  /**
   * The settings a driver for one of an entry's targets is built from: the
   * entry checked as in `open`, the target's own secrets decrypted (bound to
   * the provider, like the entry's), its settings through the schema.
   */
  openTarget(
    name: string,
    definition: AnyDefinition,
    entry: StoredProviderEntry,
    target: StoredTarget,
    trust: DocumentTrust,
  ): unknown {
    const secrets = this.secretsOf({ ...entry, secrets: target.secrets });
    this.check(entry, trust);
    return parseSettings(`stored settings of target "${target.id}" of "${name}"`, definition.schema, {
      ...target.settings,
      ...secrets,
    });
  }

  /**
   * The settings a driver is built from: secrets decrypted, the entry checked
   * (its own MAC, then that `trust` vouches for it), the schema applied.
   * Decrypting first keeps "wrong application key" the reported cause when the
   * secrets say so. Throws MISCONFIGURED.
   */
  open(name: string, definition: AnyDefinition, entry: StoredProviderEntry, trust: DocumentTrust): unknown {
    const secrets = this.secretsOf(entry);
    this.check(entry, trust);
    return parseSettings(`stored settings for "${name}"`, definition.schema, { ...entry.settings, ...secrets });
  }

  /** The decrypted secret fields of an entry (for the driver, and for redaction). Throws MISCONFIGURED. */
  secretsOf(entry: StoredProviderEntry): Record<string, unknown> {
    const secrets: Record<string, unknown> = {};
    for (const [field, encrypted] of Object.entries(entry.secrets)) {
      secrets[field] = this.#requireCipher(entry.name).decrypt(entry.name, field, encrypted);
    }
    return secrets;
  }

  /** The secret values of an entry, to scrub from what is shown; none when they cannot be decrypted. */
  secretValues(entry: StoredProviderEntry | undefined): unknown[] {
    if (!entry) return [];
    try {
      return Object.values(this.secretsOf(entry));
    } catch {
      return [];
    }
  }

  /** `entry` when it passes its integrity check; otherwise nothing of it, and which secrets must be entered again. */
  trusted(entry: StoredProviderEntry | undefined, trust: DocumentTrust): TrustedEntry {
    if (!entry) return { entry: undefined, untrustedSecrets: [] };
    try {
      this.check(entry, trust);
      return { entry, untrustedSecrets: [] };
    } catch (error) {
      return { entry: undefined, untrustedSecrets: Object.keys(entry.secrets), problem: error as StorageError };
    }
  }

  /** `entry` with its flags changed and signed again. Re-signing vouches for it, so it must pass its check first. */
  reflag(entry: StoredProviderEntry, flags: { enabled: boolean }, trust: DocumentTrust): StoredProviderEntry {
    return this.revise(entry, { ...entry, ...flags }, trust);
  }

  /** `revised` (a change of `entry`) signed, once `entry` itself passed its check: only a trusted entry is revised. */
  revise(entry: StoredProviderEntry, revised: StoredProviderEntry, trust: DocumentTrust): StoredProviderEntry {
    this.check(entry, trust);
    return this.sign({ ...revised, updatedAt: new Date().toISOString() });
  }

  /** The entry with a fresh MAC; without an application key, the entry unsigned (it must hold no secrets). */
  sign(entry: StoredProviderEntry): StoredProviderEntry {
    const { mac: _stale, ...content } = entry;
    if (this.#signer) return this.#signer.sign(content);
    if (Object.keys(content.secrets).length > 0) this.#requireCipher(entry.name);
    return content;
  }

  /**
   * Throws MISCONFIGURED unless the entry is signed by this key (or, without a
   * key, unsigned) and `trust` vouches for it as the current version.
   */
  check(entry: StoredProviderEntry, trust: DocumentTrust): void {
    if (this.#signer) {
      this.#signer.check(entry);
      const problem = trust.entryProblem(entry);
      if (problem) throw problem;
      return;
    }
    if (entry.mac !== undefined) {
      throw (
        this.#keyProblem ??
        new StorageError(
          ErrorCode.Misconfigured,
          `settings for "${entry.name}" are signed: an application key is needed to check them`,
          { details: { backend: entry.name } },
        )
      );
    }
  }

  /**
   * The next revision of `current` with `change` applied, signed. It vouches for
   * the entries `change` brings (sealed by this vault just now) and for the
   * ones `trust` vouched for; an entry that was not trusted stays unvouched, so
   * saving another provider never launders it. A default choice that was not
   * trusted is dropped (local disk) unless `change` chooses one.
   */
  nextDocument(
    current: SettingsDocument,
    trust: DocumentTrust,
    change: Partial<Pick<SettingsDocument, 'defaultBackend' | 'providers'>>,
  ): SettingsDocument {
    const providers = change.providers ?? current.providers;
    const vouched = Object.values(providers)
      .filter((entry) => entry !== current.providers[entry.name] || this.#vouches(entry, trust))
      .map((entry) => entry.name);
    const defaultBackend =
      'defaultBackend' in change ? change.defaultBackend : trust.defaultProblem ? undefined : current.defaultBackend;
    return this.signDocument({ ...current, providers, defaultBackend, revision: current.revision + 1 }, vouched);
  }

  /** `document` with its signature, vouching for the entries named in `vouched`; unsigned without a key. */
  signDocument(document: SettingsDocument, vouched: readonly string[]): SettingsDocument {
    const { signature: _stale, ...unsigned } = document;
    if (!this.#documentSigner) return unsigned;
    return { ...unsigned, signature: this.#documentSigner.sign(unsigned, vouched) };
  }

  /**
   * What `document`'s signature lets the registry trust: the default choice,
   * and which entries are the versions it last vouched for (see settings/document-trust.ts).
   */
  verifyDocument(document: SettingsDocument): DocumentTrust {
    return documentTrust(this.#documentSigner, this.#keyProblem, document);
  }

  #vouches(entry: StoredProviderEntry, trust: DocumentTrust): boolean {
    try {
      this.check(entry, trust);
      return true;
    } catch {
      return false;
    }
  }

  // Entered secrets win; blank ones keep the stored value, unless it cannot be trusted or decrypted.
  #mergeSecrets(
    name: string,
    definition: AnyDefinition,
    input: Readonly<Record<string, unknown>>,
    existing: TrustedEntry,
    encrypt: boolean,
  ) {
    const { plain, secrets: entered } = splitSecrets(input, definition.secretFields);
    const secrets: Record<string, unknown> = {};
    const encrypted: Record<string, EncryptedSecret> = {};
    const problems: string[] = [];
    for (const field of definition.secretFields) {
      if (!isBlankSecret(entered[field])) {
        secrets[field] = entered[field];
        if (encrypt) encrypted[field] = this.#requireCipher(name).encrypt(name, field, entered[field]);
      } else if (existing.untrustedSecrets.includes(field)) {
        problems.push(
          `${field}: the stored value cannot be trusted (settings changed outside Stowage, or the app key is wrong); enter it again`,
        );
      } else {
        const stored = existing.entry?.secrets[field];
        if (stored === undefined) continue;
        try {
          secrets[field] = this.#requireCipher(name).decrypt(name, field, stored);
          encrypted[field] = stored;
        } catch {
          problems.push(`${field}: the stored value cannot be decrypted with this application key; enter it again`);
        }
      }
    }
    return { plain, secrets, encrypted, problems };
  }

  #requireCipher(name: string): SecretCipher {
    if (this.#cipher) return this.#cipher;
    if (this.#keyProblem) throw this.#keyProblem;
    throw new StorageError(
      ErrorCode.Misconfigured,
      `provider "${name}" has secret settings: an application key is needed to encrypt and decrypt them`,
      { details: { backend: name } },
    );
  }
}
