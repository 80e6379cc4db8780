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
 *   and so is the document (the default choice, and which entry versions are
 *   current), bound to a revision every change bumps: an entry or default
 *   edited outside Stowage, or an older entry copied back, is refused instead
 *   of used (new results then go to local disk), and reported;
 * - every change is saved compare-and-set on the revision, so a registry never
 *   overwrites a change another process made since it loaded (it must reload).
 */

import { isAbsolute } from 'node:path';
import { ConfigError, ErrorCode, StorageError } from '../errors.js';
import { emitSafely, StorageEvents } from '../events.js';
import { type Logger, silentLogger } from '../logger.js';
import { redactSecrets } from '../settings/redaction.js';
import type { SettingsDocument, SettingsStore, StoredProviderEntry } from '../settings/store.js';
import { type DocumentTrust, SettingsVault, type TrustedEntry } from '../settings/vault.js';
import type { ProbeReport, StorageDriver } from '../types.js';
import { secretValues, testConnection, tryDriver } from './connection-test.js';
import { type AnyDriverDefinition, DriverCatalogue, LOCAL_BACKEND, unregisteredBackend } from './definitions.js';
import { DriverCache } from './driver-cache.js';
import { localProviderView, type ProviderView, providerView } from './provider-views.js';

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
  readonly #vault: SettingsVault;
  readonly #definitions = new DriverCatalogue();
  readonly #drivers = new DriverCache();
  #document: SettingsDocument;
  #trust: DocumentTrust;
  #changes: Promise<unknown> = Promise.resolve();
  #lastFallback: string | undefined;

  private constructor(options: RegistryOptions, document: SettingsDocument) {
    this.#store = options.store;
    this.#local = options.local;
    this.#logger = options.logger ?? silentLogger;
    this.events = options.events ?? new StorageEvents();
    this.#vault = new SettingsVault(options.appKey);
    this.#document = document;
    this.#trust = this.#adopt(document);
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
    return this.#document.defaultBackend ?? LOCAL_BACKEND;
  }

  /** The results disk. */
  get local(): ResultsDisk {
    return this.#local;
  }

  /** Redacted views of local disk, every registered driver and every stored entry. */
  providers(): ProviderView[] {
    const names = new Set([LOCAL_BACKEND, ...this.#definitions.names(), ...Object.keys(this.#document.providers)]);
    return [...names].map((name) => this.provider(name));
  }

  /** The redacted view of one provider. MISCONFIGURED when no driver is registered and nothing is stored under the name. */
  provider(name: string): ProviderView {
    if (name === LOCAL_BACKEND) {
      const isDefault = this.defaultBackend === LOCAL_BACKEND;
      return localProviderView(this.#local.root, isDefault, isDefault ? this.#defaultProblems() : []);
    }
    const definition = this.#definitions.get(name);
    const entry = this.#document.providers[name];
    if (!definition && !entry) throw unregisteredBackend(name);
    const isDefault = this.defaultBackend === name;
    const problems = this.#problemsOf(name, definition, entry);
    return providerView({ name, definition, entry, isDefault, problems, secretValues: this.#secretValues(entry) });
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
      const existing = this.#trusted(name);
      const candidate = this.#vault.candidate(name, definition, input, existing, { encrypt: true });
      await tryDriver(name, definition, candidate.settings, this.#logger);
      const entry = this.#vault.seal(name, candidate, { enabled: existing.entry?.enabled ?? false });
      await this.#commit({ providers: { ...this.#document.providers, [name]: entry } });
      this.#drivers.retire(name);
      this.#logger.info({ backend: name }, 'storage provider settings saved');
      return this.provider(name);
    });
  }

  /** Makes a provider selectable (not active). Throws ConfigError unless its stored settings are complete and valid. */
  enable(name: string): Promise<ProviderView> {
    return this.#change(async () => {
      if (name === LOCAL_BACKEND) return this.provider(name);
      const definition = this.#definitionFor(name);
      const entry = this.#document.providers[name];
      if (!entry)
        throw new ConfigError(`cannot enable "${name}"`, ['no settings saved yet; save complete settings first']);
      await tryDriver(name, definition, this.#vault.open(name, definition, entry, this.#trust), this.#logger);
      await this.#commit({ providers: this.#withFlags(entry, { enabled: true }) });
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
      const entry = this.#document.providers[name];
      if (!entry) throw unknownOrUnconfigured(name, this.#definitions.has(name));
      const wasDefault = this.#document.defaultBackend === name;
      await this.#commit({ providers: this.#withFlags(entry, { enabled: false }), ...defaultReset(wasDefault) });
      if (wasDefault) this.#logDefaultReset(name, 'disabled');
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
      if (!this.#document.providers[name]) throw unknownOrUnconfigured(name, this.#definitions.has(name));
      if (options?.forgetStoredObjects !== true) {
        throw new StorageError(
          ErrorCode.InvalidInput,
          `removing "${name}" forgets its settings, so stored locations "${name}:..." stop resolving (reads, URLs and deletes of those objects fail) until its settings are saved again; use disable("${name}") to keep them serving, or pass { forgetStoredObjects: true } to remove it anyway`,
          { details: { backend: name } },
        );
      }
      const { [name]: _removed, ...providers } = this.#document.providers;
      const wasDefault = this.#document.defaultBackend === name;
      await this.#commit({ providers, ...defaultReset(wasDefault) });
      this.#drivers.retire(name);
      if (wasDefault) this.#logDefaultReset(name, 'removed');
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
        const entry = this.#document.providers[name];
        if (!entry?.enabled) throw new ConfigError(`cannot make "${name}" the default`, ['enable it first']);
        this.driver(name);
      }
      await this.#commit({ defaultBackend: name === LOCAL_BACKEND ? undefined : name });
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
    const entry = this.#document.providers[name];
    let reason: string | undefined;
    if (!entry) reason = `default backend "${name}" has no settings`;
    else if (!entry.enabled) reason = `default backend "${name}" is disabled`;
    else {
      try {
        const driver = this.driver(name);
        if (!this.#trust.defaultProblem) return { name, driver, deleteLocal: entry.deleteLocal };
        reason = this.#trust.defaultProblem.message;
      } catch (error) {
        reason = redactSecrets((error as Error).message, this.#secretValues(entry));
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
    const secrets = input === undefined ? [] : secretValues(definition, input);
    return testConnection({ name, definition, secrets, settings: () => this.#settingsToTest(name, definition, input) });
  }

  /** Re-reads the store (e.g. after another process changed settings) and drops cached drivers. */
  reload(): Promise<void> {
    return this.#change(async () => {
      this.#adopt(await this.#store.load());
      this.#drivers.retireAll();
      this.#lastFallback = undefined;
    });
  }

  /** Closes every driver the registry built (not the local one, which the app owns). */
  async close(): Promise<void> {
    await this.#changes.catch(() => undefined);
    await this.#drivers.close();
  }

  // Why a provider's stored settings cannot be used right now; empty when they can (or none are stored).
  #problemsOf(name: string, definition: AnyDriverDefinition | undefined, entry: StoredProviderEntry | undefined) {
    if (!definition) return [unregisteredBackend(name).message];
    if (!entry) return [];
    try {
      this.#vault.open(name, definition, entry, this.#trust);
      return this.defaultBackend === name ? this.#defaultProblems() : [];
    } catch (error) {
      return [(error as Error).message];
    }
  }

  #localActive(): ActiveBackend {
    return { name: LOCAL_BACKEND, driver: this.#local, deleteLocal: false };
  }

  // Admin changes run one at a time so read-modify-write of the document never interleaves.
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

  // Entered settings merged with the trusted stored ones, or the stored settings when nothing was entered.
  #settingsToTest(name: string, definition: AnyDriverDefinition, input?: Readonly<Record<string, unknown>>): unknown {
    if (input !== undefined) {
      return this.#vault.candidate(name, definition, input, this.#trusted(name), { encrypt: false }).settings;
    }
    const existing = this.#document.providers[name];
    if (!existing) throw new ConfigError(`settings for "${name}"`, ['no settings saved yet']);
    return this.#vault.open(name, definition, existing, this.#trust);
  }

  // The providers with `entry`'s flags changed. Re-signing an entry vouches for it, so it must pass its check first.
  #withFlags(entry: StoredProviderEntry, flags: { enabled: boolean }): SettingsDocument['providers'] {
    this.#vault.check(entry, this.#trust);
    const updated = this.#vault.sign({ ...entry, ...flags, updatedAt: new Date().toISOString() });
    return { ...this.#document.providers, [entry.name]: updated };
  }

  // Saves the next revision of the document (compare-and-set on the current one), then adopts it.
  async #commit(change: Partial<Pick<SettingsDocument, 'defaultBackend' | 'providers'>>): Promise<void> {
    const next = this.#vault.nextDocument(this.#document, this.#trust, change);
    if (next.defaultBackend !== this.#document.defaultBackend && !('defaultBackend' in change)) {
      this.#logger.warn({ backend: this.#document.defaultBackend }, 'untrusted default backend choice dropped');
    }
    await this.#store.save(next, this.#document.revision);
    this.#adopt(next);
  }

  // Makes `document` the current one, with what its signature vouches for.
  #adopt(document: SettingsDocument): DocumentTrust {
    this.#document = document;
    this.#trust = this.#vault.verifyDocument(document);
    this.#lastFallback = undefined;
    const problem = this.#trust.defaultProblem;
    if (problem) this.#logger.warn({ reason: problem.message }, 'default backend choice failed its integrity check');
    return this.#trust;
  }

  // The decrypted secret values of an entry, to scrub from what is shown; none when they cannot be decrypted.
  #secretValues(entry: StoredProviderEntry | undefined): unknown[] {
    if (!entry) return [];
    try {
      return Object.values(this.#vault.secretsOf(entry));
    } catch {
      return [];
    }
  }

  // The default choice's problem, for the view of the backend it names.
  #defaultProblems(): string[] {
    return this.#trust.defaultProblem ? [this.#trust.defaultProblem.message] : [];
  }

  // The stored entry when it passes its integrity check; an entry that fails is not reused.
  #trusted(name: string): TrustedEntry {
    const trusted = this.#vault.trusted(this.#document.providers[name], this.#trust);
    if (trusted.problem) {
      this.#logger.warn({ backend: name }, 'stored provider settings failed their integrity check; not reused');
    }
    return trusted;
  }

  #logDefaultReset(name: string, what: string): void {
    this.#logger.warn({ backend: name }, `default storage backend ${what}; new results go to local disk`);
  }

  // Builds the driver of a configured backend from its stored settings; MISCONFIGURED when that fails.
  #build(name: string): StorageDriver {
    const definition = this.#definitions.require(name);
    const entry = this.#document.providers[name];
    if (!entry) {
      throw new StorageError(
        ErrorCode.Misconfigured,
        `backend "${name}" has no settings (never saved, or removed), so locations "${name}:..." cannot be served until its settings are saved again`,
        { details: { backend: name } },
      );
    }
    const settings = this.#vault.open(name, definition, entry, this.#trust);
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

// The document change that sends the default back to local disk when the provider it named goes.
function defaultReset(wasDefault: boolean): Partial<SettingsDocument> {
  return wasDefault ? { defaultBackend: undefined } : {};
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
