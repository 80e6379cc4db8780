/**
 * The active-backend registry: which drivers exist, each provider's settings
 * (secrets encrypted), which one is enabled and which one is the default.
 *
 * Rules it enforces:
 * - local disk ("local") is always present, always enabled and the safe default;
 * - a provider is enabled only with complete, valid settings; enabling makes it
 *   selectable, `setDefault` makes it active;
 * - disabling or removing the default resets the default to local disk; a
 *   default whose settings stopped working (wrong application key, driver that
 *   refuses them) sends new results to local disk until it is fixed;
 * - nothing here ever moves, copies or deletes a stored object;
 * - any configured backend, enabled or not, still resolves for reads, so files
 *   keep serving from where they are; removing a backend's settings, which
 *   would break that, needs an explicit `{ forgetStoredObjects: true }`;
 * - only fields the driver's schema declares (plus `deleteLocal`) are stored;
 * - with an application key, every entry is signed (HMAC over the whole entry)
 *   and checked before use, so settings edited outside Stowage are refused
 *   instead of used (new results then go to local disk).
 */

import { isAbsolute } from 'node:path';
import { parseSettings, unknownSettingProblems } from '../driver-definition.js';
import { ConfigError, ErrorCode, StorageError } from '../errors.js';
import { emitSafely, StorageEvents } from '../events.js';
import { errorFacts, type Logger, silentLogger } from '../logger.js';
import { configureFailureReport } from '../probe.js';
import type { EncryptedSecret, SecretCipher } from '../settings/crypto.js';
import { createSecretCipher } from '../settings/crypto.js';
import { createEntrySigner, type EntrySigner } from '../settings/entry-mac.js';
import { isBlankSecret, secretStates, splitSecrets } from '../settings/redaction.js';
import type { SettingsSnapshot, SettingsStore, StoredProviderEntry } from '../settings/store.js';
import type { ProbeReport, StorageDriver } from '../types.js';
import { type AnyDriverDefinition, DriverCatalogue, LOCAL_BACKEND, unregisteredBackend } from './definitions.js';
import { DriverCache } from './driver-cache.js';
import type { ProviderView } from './provider-view.js';

export { type AnyDriverDefinition, LOCAL_BACKEND } from './definitions.js';

/**
 * The results disk: a driver that also names the directory it serves, because
 * offload reads result files from there (`join(root, key)` is the file of `key`).
 * `LocalDriver` from @stowage/driver-local is one.
 */
export interface ResultsDisk extends StorageDriver {
  /** Absolute directory of the driver's root. */
  readonly root: string;
}

/** What `BackendRegistry.open()` needs. */
export interface RegistryOptions {
  /** Where settings and the default choice persist. */
  store: SettingsStore;
  /**
   * Application key that encrypts secret settings (≥ 32 random characters).
   * Needed only once a provider with secrets is configured.
   */
  appKey?: string;
  /** The results disk, registered as "local", e.g. `createLocalDriver({ root })`. */
  local: ResultsDisk;
  /** Driver definitions to register under their own names. */
  definitions?: readonly AnyDriverDefinition[];
  logger?: Logger;
  events?: StorageEvents;
}

/** The backend new results go to, after any fallback. */
export interface ActiveBackend {
  readonly name: string;
  readonly driver: StorageDriver;
  readonly deleteLocal: boolean;
  /** Set when the chosen default could not be used and local disk stands in. */
  readonly fallback?: { readonly from: string; readonly reason: string };
}

/** Registry of backends, their settings and the default. Create with `BackendRegistry.open()`. */
export class BackendRegistry {
  readonly events: StorageEvents;
  readonly #store: SettingsStore;
  readonly #local: ResultsDisk;
  readonly #logger: Logger;
  readonly #cipher: SecretCipher | undefined;
  readonly #cipherProblem: StorageError | undefined;
  readonly #signer: EntrySigner | undefined;
  readonly #definitions = new DriverCatalogue();
  readonly #drivers = new DriverCache();
  #snapshot: SettingsSnapshot;
  #changes: Promise<unknown> = Promise.resolve();
  #lastFallback: string | undefined;

  private constructor(options: RegistryOptions, snapshot: SettingsSnapshot) {
    this.#store = options.store;
    this.#local = options.local;
    this.#logger = options.logger ?? silentLogger;
    this.events = options.events ?? new StorageEvents();
    this.#snapshot = snapshot;
    if (options.appKey !== undefined) {
      try {
        this.#cipher = createSecretCipher(options.appKey);
        this.#signer = createEntrySigner(options.appKey);
      } catch (error) {
        this.#cipherProblem = error as StorageError;
      }
    }
    for (const definition of options.definitions ?? []) this.register(definition);
  }

  /** Loads the stored settings and returns a registry. Throws MISCONFIGURED when the store is unreadable. */
  static async open(options: RegistryOptions): Promise<BackendRegistry> {
    if (!options?.store) throw new StorageError(ErrorCode.InvalidInput, 'registry options: store is required');
    if (
      typeof options.local?.write !== 'function' ||
      typeof options.local.root !== 'string' ||
      !isAbsolute(options.local.root)
    ) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        'registry options: local must be the results disk driver (e.g. createLocalDriver({ root })) with an absolute root',
      );
    }
    return new BackendRegistry(options, await options.store.load());
  }

  /**
   * Registers a driver definition under its own name, or under `options.name`
   * (e.g. two S3-compatible providers from one definition). Throws on a bad or
   * duplicate name; "local" is reserved.
   */
  register(definition: AnyDriverDefinition, options: { name?: string } = {}): void {
    this.#definitions.register(definition, options?.name ?? definition?.name);
  }

  /** The chosen default backend's name ("local" when none was chosen). It may not be the active one: see `active()`. */
  get defaultBackend(): string {
    return this.#snapshot.defaultBackend ?? LOCAL_BACKEND;
  }

  /** The results disk. */
  get local(): ResultsDisk {
    return this.#local;
  }

  /** Redacted views of local disk, every registered driver and every stored entry. */
  providers(): ProviderView[] {
    const names = new Set([LOCAL_BACKEND, ...this.#definitions.names(), ...Object.keys(this.#snapshot.providers)]);
    return [...names].map((name) => this.provider(name));
  }

  /** The redacted view of one provider. INVALID_INPUT when the name is unknown. */
  provider(name: string): ProviderView {
    if (name === LOCAL_BACKEND) {
      return {
        name,
        label: 'Local disk',
        configured: true,
        enabled: true,
        isDefault: this.defaultBackend === LOCAL_BACKEND,
        deleteLocal: false,
        settings: { root: this.#local.root },
        secrets: {},
        problems: [],
        updatedAt: undefined,
      };
    }
    const definition = this.#definitions.get(name);
    const entry = this.#snapshot.providers[name];
    if (!definition && !entry) throw unregisteredBackend(name);
    const problems: string[] = [];
    if (!definition) problems.push(unregisteredBackend(name).message);
    else if (entry) {
      try {
        this.#settingsOf(name, definition, entry);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    return {
      name,
      label: definition?.label ?? name,
      configured: entry !== undefined,
      enabled: entry?.enabled ?? false,
      isDefault: this.defaultBackend === name,
      deleteLocal: entry?.deleteLocal ?? false,
      settings: { ...(entry?.settings ?? {}) },
      secrets: secretStates(definition?.secretFields ?? Object.keys(entry?.secrets ?? {}), entry?.secrets ?? {}),
      problems,
      updatedAt: entry?.updatedAt,
    };
  }

  /**
   * Saves a provider's settings after validating them completely; throws one
   * ConfigError naming every bad field, before anything is stored. Non-secret
   * fields replace the stored ones; a secret field left blank (missing, null,
   * "") keeps the stored secret. `deleteLocal` (boolean) is read from the input
   * and kept by the registry, not passed to the driver. A field the driver's
   * schema does not declare (e.g. a typo such as `secret_key`) is refused as
   * "unknown setting", so it can never be stored in the clear. Does not enable
   * the provider. When the stored entry fails its integrity check, nothing of
   * it is reused: the provider comes back disabled and secrets must be entered again.
   */
  saveSettings(name: string, input: Readonly<Record<string, unknown>>): Promise<ProviderView> {
    return this.#change(async () => {
      const definition = this.#definitionFor(name);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new ConfigError(`settings for "${name}"`, ['settings must be an object']);
      }
      const existing = this.#trusted(name);
      const { deleteLocal, plain, settings, encrypted } = this.#candidate(name, definition, input, existing.entry, {
        encrypt: true,
        untrustedSecrets: existing.untrustedSecrets,
      });
      await this.#tryCreate(name, definition, settings);
      const entry = this.#sign(name, {
        name,
        enabled: existing.entry?.enabled ?? false,
        deleteLocal,
        settings: plain,
        secrets: encrypted,
        updatedAt: new Date().toISOString(),
      });
      await this.#store.saveEntry(entry);
      this.#setEntry(entry);
      this.#logger.info({ backend: name }, 'storage provider settings saved');
      return this.provider(name);
    });
  }

  /** Makes a provider selectable (not active). Throws ConfigError unless its stored settings are complete and valid. */
  enable(name: string): Promise<ProviderView> {
    return this.#change(async () => {
      if (name === LOCAL_BACKEND) return this.provider(name);
      const definition = this.#definitionFor(name);
      const entry = this.#snapshot.providers[name];
      if (!entry)
        throw new ConfigError(`cannot enable "${name}"`, ['no settings saved yet; save complete settings first']);
      await this.#tryCreate(name, definition, this.#settingsOf(name, definition, entry));
      await this.#saveFlags(entry, { enabled: true });
      this.#logger.info({ backend: name }, 'storage provider enabled');
      return this.provider(name);
    });
  }

  /**
   * Stops sending new results to a provider; its objects keep serving. When it
   * was the default, the default goes back to local disk. Local disk cannot be disabled.
   */
  disable(name: string): Promise<ProviderView> {
    return this.#change(async () => {
      refuseLocal(name, 'disabled');
      const entry = this.#snapshot.providers[name];
      if (!entry) throw unknownOrUnconfigured(name, this.#definitions.has(name));
      await this.#saveFlags(entry, { enabled: false });
      await this.#resetDefaultIf(name, 'disabled');
      this.#logger.info({ backend: name }, 'storage provider disabled');
      return this.provider(name);
    });
  }

  /**
   * Deletes a provider's settings. Objects stored there are not touched, but
   * every location `<name>:...` an app recorded stops resolving (reads, URLs
   * and deletes fail with MISCONFIGURED) until settings are saved again. So
   * this refuses (INVALID_INPUT, before any change) unless the caller confirms
   * with `{ forgetStoredObjects: true }`; to stop new results going there while
   * its files keep serving, use `disable()`. When it was the default, the
   * default goes back to local disk.
   */
  remove(name: string, options: { forgetStoredObjects?: boolean } = {}): Promise<void> {
    return this.#change(async () => {
      refuseLocal(name, 'removed');
      if (!this.#snapshot.providers[name]) throw unknownOrUnconfigured(name, this.#definitions.has(name));
      if (options?.forgetStoredObjects !== true) {
        throw new StorageError(
          ErrorCode.InvalidInput,
          `removing "${name}" forgets its settings, so stored locations "${name}:..." stop resolving (reads, URLs and deletes of those objects fail) until its settings are saved again; use disable("${name}") to keep them serving, or pass { forgetStoredObjects: true } to remove it anyway`,
          { details: { backend: name } },
        );
      }
      await this.#store.removeEntry(name);
      const { [name]: _removed, ...rest } = this.#snapshot.providers;
      this.#snapshot = { ...this.#snapshot, providers: rest };
      this.#drivers.retire(name);
      await this.#resetDefaultIf(name, 'removed');
      this.#logger.info({ backend: name }, 'storage provider settings removed');
    });
  }

  /**
   * Chooses the default backend for new results. It must be local disk or an
   * enabled provider with working settings. Never moves, copies or deletes anything.
   */
  setDefault(name: string): Promise<void> {
    return this.#change(async () => {
      if (name !== LOCAL_BACKEND) {
        this.#definitionFor(name);
        const entry = this.#snapshot.providers[name];
        if (!entry?.enabled) throw new ConfigError(`cannot make "${name}" the default`, ['enable it first']);
        this.driver(name);
      }
      await this.#store.saveDefault(name === LOCAL_BACKEND ? undefined : name);
      this.#snapshot = { ...this.#snapshot, defaultBackend: name === LOCAL_BACKEND ? undefined : name };
      this.#lastFallback = undefined;
      this.#logger.info({ backend: name }, 'default storage backend changed');
    });
  }

  /**
   * The backend new results go to: the default when it is usable, else local
   * disk (logged once and emitted as 'backend:fallback'). Never throws.
   */
  active(): ActiveBackend {
    const name = this.defaultBackend;
    if (name === LOCAL_BACKEND) return this.#localActive();
    const entry = this.#snapshot.providers[name];
    let reason: string | undefined;
    if (!entry) reason = `default backend "${name}" has no settings`;
    else if (!entry.enabled) reason = `default backend "${name}" is disabled`;
    else {
      try {
        return { name, driver: this.driver(name), deleteLocal: entry.deleteLocal };
      } catch (error) {
        reason = (error as Error).message;
      }
    }
    const fallbackKey = `${name}\u0000${reason}`;
    if (this.#lastFallback !== fallbackKey) {
      this.#lastFallback = fallbackKey;
      this.#logger.warn({ backend: name, reason }, 'default storage backend unusable; new results stay on local disk');
      emitSafely(this.events, this.#logger, 'backend:fallback', { from: name, to: LOCAL_BACKEND, reason });
    }
    return { ...this.#localActive(), fallback: { from: name, reason } };
  }

  /**
   * The driver of any configured backend, enabled or not (reads resolve
   * through it). Built once from the stored settings and cached. Throws
   * MISCONFIGURED when it has no settings or they do not work.
   */
  driver(name: string): StorageDriver {
    if (name === LOCAL_BACKEND) return this.#local;
    return this.#drivers.get(name, () => this.#build(name));
  }

  /**
   * "Test connection" for a provider: with `input`, tests those settings
   * (blank secrets fall back to the stored ones) without saving them; without,
   * tests the stored settings. Settings problems come back as a failed
   * 'configure' step, never as a throw.
   */
  async testConnection(name: string, input?: Readonly<Record<string, unknown>>): Promise<ProbeReport> {
    if (name === LOCAL_BACKEND) return this.#local.probe();
    const definition = this.#definitionFor(name);
    let driver: StorageDriver;
    try {
      const existing = this.#snapshot.providers[name];
      if (input === undefined && !existing) throw new ConfigError(`settings for "${name}"`, ['no settings saved yet']);
      let settings: unknown;
      if (input === undefined && existing) settings = this.#settingsOf(name, definition, existing);
      else {
        const trusted = this.#trusted(name);
        settings = this.#candidate(name, definition, input ?? {}, trusted.entry, {
          encrypt: false,
          untrustedSecrets: trusted.untrustedSecrets,
        }).settings;
      }
      driver = definition.create(settings);
    } catch (error) {
      return configureFailureReport(name, error);
    }
    try {
      return await driver.probe();
    } finally {
      await driver.close().catch(() => undefined);
    }
  }

  /** Re-reads the store (e.g. after another process changed settings) and drops cached drivers. */
  reload(): Promise<void> {
    return this.#change(async () => {
      this.#snapshot = await this.#store.load();
      this.#drivers.retireAll();
      this.#lastFallback = undefined;
    });
  }

  /** Closes every driver the registry built (not the local one, which the app owns). */
  async close(): Promise<void> {
    await this.#changes.catch(() => undefined);
    await this.#drivers.close();
  }

  #localActive(): ActiveBackend {
    return { name: LOCAL_BACKEND, driver: this.#local, deleteLocal: false };
  }

  // Admin changes run one at a time so read-modify-write of the snapshot never interleaves.
  #change<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#changes.catch(() => undefined).then(run);
    this.#changes = next;
    return next;
  }

  #definitionFor(name: string): AnyDriverDefinition {
    if (name === LOCAL_BACKEND) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        'local disk is configured by the app that opens the registry, not through settings',
      );
    }
    return this.#definitions.require(name);
  }

  // Decrypts, authenticates and validates a stored entry into the driver's settings. Decrypting
  // first keeps "wrong application key" the reported cause when the secrets say so.
  #settingsOf(name: string, definition: AnyDriverDefinition, entry: StoredProviderEntry): unknown {
    const secrets: Record<string, unknown> = {};
    for (const [field, encrypted] of Object.entries(entry.secrets)) {
      secrets[field] = this.#requireCipher(name).decrypt(name, field, encrypted);
    }
    this.#checkEntry(name, entry);
    return parseSettings(`stored settings for "${name}"`, definition.schema, { ...entry.settings, ...secrets });
  }

  #mergeSecrets(
    name: string,
    definition: AnyDriverDefinition,
    input: Readonly<Record<string, unknown>>,
    existing: StoredProviderEntry | undefined,
    options: { encrypt: boolean; untrustedSecrets?: readonly string[] } = { encrypt: true },
  ): MergedSecrets {
    const { plain, secrets: entered } = splitSecrets(input, definition.secretFields);
    const secrets: Record<string, unknown> = {};
    const encrypted: Record<string, EncryptedSecret> = {};
    const problems: string[] = [];
    for (const field of definition.secretFields) {
      if (!isBlankSecret(entered[field])) {
        secrets[field] = entered[field];
        if (options.encrypt) encrypted[field] = this.#requireCipher(name).encrypt(name, field, entered[field]);
        continue;
      }
      if (options.untrustedSecrets?.includes(field)) {
        problems.push(
          `${field}: the stored value cannot be trusted (settings changed outside Stowage, or the app key is wrong); enter it again`,
        );
        continue;
      }
      const stored = existing?.secrets[field];
      if (stored === undefined) continue;
      try {
        secrets[field] = this.#requireCipher(name).decrypt(name, field, stored);
        encrypted[field] = stored;
      } catch {
        problems.push(`${field}: the stored value cannot be decrypted with this application key; enter it again`);
      }
    }
    if (problems.length > 0) throw new ConfigError(`settings for "${name}"`, problems);
    return { plain, secrets, encrypted };
  }

  #requireCipher(name: string): SecretCipher {
    if (this.#cipher) return this.#cipher;
    if (this.#cipherProblem) throw this.#cipherProblem;
    throw new StorageError(
      ErrorCode.Misconfigured,
      `provider "${name}" has secret settings: an application key is needed to encrypt and decrypt them`,
      { details: { backend: name } },
    );
  }

  async #tryCreate(name: string, definition: AnyDriverDefinition, settings: unknown): Promise<void> {
    let driver: StorageDriver;
    try {
      driver = definition.create(settings);
    } catch (error) {
      throw new ConfigError(`settings for "${name}"`, [(error as Error).message], { cause: error });
    }
    await driver.close().catch((error: unknown) => {
      this.#logger.warn({ backend: name, error: errorFacts(error) }, 'closing a trial driver failed');
    });
  }

  // Re-signing an entry vouches for it, so it must pass its check first.
  async #saveFlags(entry: StoredProviderEntry, flags: { enabled: boolean }): Promise<void> {
    this.#checkEntry(entry.name, entry);
    const updated = this.#sign(entry.name, { ...entry, ...flags, updatedAt: new Date().toISOString() });
    await this.#store.saveEntry(updated);
    this.#snapshot = { ...this.#snapshot, providers: { ...this.#snapshot.providers, [entry.name]: updated } };
    this.#lastFallback = undefined;
  }

  /**
   * Validates entered settings into what would be stored: unknown fields, the
   * deleteLocal flag, secrets merged with the stored ones and the schema, all
   * problems in one ConfigError.
   */
  #candidate(
    name: string,
    definition: AnyDriverDefinition,
    input: Readonly<Record<string, unknown>>,
    existing: StoredProviderEntry | undefined,
    options: { encrypt: boolean; untrustedSecrets: readonly string[] },
  ): CandidateSettings {
    const subject = `settings for "${name}"`;
    const { deleteLocal: flag, ...rest } = input;
    let merged: MergedSecrets;
    try {
      if (flag !== undefined && typeof flag !== 'boolean') {
        throw new ConfigError(subject, ['deleteLocal: must be true or false']);
      }
      merged = this.#mergeSecrets(name, definition, rest, existing, options);
    } catch (error) {
      // The schema names unknown fields (z.strictObject); list them with whatever stopped us first.
      const unknown = unknownSettingProblems(definition.schema, rest);
      if (unknown.length > 0 && error instanceof ConfigError)
        throw new ConfigError(subject, [...unknown, ...error.problems]);
      throw error;
    }
    const settings = parseSettings(subject, definition.schema, { ...merged.plain, ...merged.secrets });
    // A lenient (non-strict) schema drops what it does not know: that was no setting either.
    const dropped = Object.keys(merged.plain).filter((field) => !Object.hasOwn(Object(settings), field));
    if (dropped.length > 0)
      throw new ConfigError(
        subject,
        dropped.map((field) => `${field}: unknown setting`),
      );
    const deleteLocal = (flag as boolean | undefined) ?? existing?.deleteLocal ?? false;
    return { deleteLocal, plain: merged.plain, settings, encrypted: merged.encrypted };
  }

  // The stored entry when it passes its integrity check; an entry that fails is not reused.
  #trusted(name: string): { entry: StoredProviderEntry | undefined; untrustedSecrets: readonly string[] } {
    const entry = this.#snapshot.providers[name];
    if (!entry) return { entry: undefined, untrustedSecrets: [] };
    try {
      this.#checkEntry(name, entry);
      return { entry, untrustedSecrets: [] };
    } catch {
      this.#logger.warn({ backend: name }, 'stored provider settings failed their integrity check; not reused');
      return { entry: undefined, untrustedSecrets: Object.keys(entry.secrets) };
    }
  }

  #sign(name: string, entry: StoredProviderEntry): StoredProviderEntry {
    const { mac: _stale, ...content } = entry;
    if (this.#signer) return this.#signer.sign(content);
    // Without an application key there is nothing to sign with; such entries hold no secrets.
    if (Object.keys(content.secrets).length > 0) this.#requireCipher(name);
    return content;
  }

  #checkEntry(name: string, entry: StoredProviderEntry): void {
    if (this.#signer) {
      this.#signer.check(entry);
      return;
    }
    if (entry.mac !== undefined) {
      throw (
        this.#cipherProblem ??
        new StorageError(
          ErrorCode.Misconfigured,
          `settings for "${name}" are signed: an application key is needed to check them`,
          { details: { backend: name } },
        )
      );
    }
  }

  #setEntry(entry: StoredProviderEntry): void {
    this.#snapshot = { ...this.#snapshot, providers: { ...this.#snapshot.providers, [entry.name]: entry } };
    this.#drivers.retire(entry.name);
    this.#lastFallback = undefined;
  }

  async #resetDefaultIf(name: string, what: string): Promise<void> {
    if (this.#snapshot.defaultBackend !== name) return;
    await this.#store.saveDefault(undefined);
    this.#snapshot = { ...this.#snapshot, defaultBackend: undefined };
    this.#logger.warn({ backend: name }, `default storage backend ${what}; new results go to local disk`);
  }

  // Builds the driver of a configured backend from its stored settings; MISCONFIGURED when that fails.
  #build(name: string): StorageDriver {
    const definition = this.#definitions.require(name);
    const entry = this.#snapshot.providers[name];
    if (!entry) {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `backend "${name}" has no settings (never saved, or removed), so locations "${name}:..." cannot be served until its settings are saved again`,
        { details: { backend: name } },
      );
    }
    const settings = this.#settingsOf(name, definition, entry);
    try {
      return definition.create(settings);
    } catch (error) {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `driver "${name}" refused its settings: ${(error as Error).message}`,
        {
          cause: error,
          details: { backend: name },
        },
      );
    }
  }
}

interface MergedSecrets {
  readonly plain: Record<string, unknown>;
  readonly secrets: Record<string, unknown>;
  readonly encrypted: Record<string, EncryptedSecret>;
}

/** Entered settings after validation: what would be stored, and what the driver gets. */
interface CandidateSettings {
  readonly deleteLocal: boolean;
  readonly plain: Record<string, unknown>;
  readonly settings: unknown;
  readonly encrypted: Record<string, EncryptedSecret>;
}

function refuseLocal(name: string, what: string): void {
  if (name === LOCAL_BACKEND) {
    throw new StorageError(ErrorCode.InvalidInput, `local disk is always present and cannot be ${what}`);
  }
}

function unknownOrUnconfigured(name: string, registered: boolean): StorageError {
  return registered
    ? new StorageError(ErrorCode.InvalidInput, `backend "${name}" has no settings`, { details: { backend: name } })
    : unregisteredBackend(name);
}
