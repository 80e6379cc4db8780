/**
 * The active-backend registry: it routes and holds state (the definitions, the
 * settings document, enable/disable/default, the active backend, the drivers,
 * the targets) and leaves settings to the vault (settings/vault.ts). The rules
 * it enforces (local disk always there and the safe default, enable before
 * default, nothing stored ever moved, signed and compare-and-set changes) are
 * in docs/architecture.md, "Registry and settings".
 */

import { emitSafely, StorageEvents } from '../events.js';
import { type Logger, silentLogger } from '../logger.js';
import type { SettingsDocument, SettingsStore } from '../settings/store.js';
import { type DocumentTrust, SettingsVault, type TrustedEntry } from '../settings/vault.js';
import type { ProbeReport, StorageDriver } from '../types.js';
import { FallbackNotices, usableDefault } from './active-backend.js';
import { secretValues, settingsToTest, testConnection, tryDriver } from './connection-test.js';
import {
  type AnyDriverDefinition,
  createDriver,
  DriverCatalogue,
  LOCAL_BACKEND,
  unregisteredBackend,
} from './definitions.js';
import { DriverCache } from './driver-cache.js';
import { defaultProblems, localProviderView, type ProviderView, providerView, viewProblems } from './provider-views.js';
import {
  localConfiguredByApp,
  noSettingsToServe,
  notEnabled,
  nothingToEnable,
  refuseLocal,
  removalNeedsConfirmation,
  unknownOrUnconfigured,
} from './refusals.js';
import {
  type ActiveBackend,
  checkRegistryOptions,
  type RegistryOptions,
  type ResultsDisk,
} from './registry-options.js';
import { TargetDirectory } from './target-directory.js';
import { nextTargets } from './targets.js';

export { type AnyDriverDefinition, LOCAL_BACKEND } from './definitions.js';
export type { ActiveBackend, RegistryOptions, ResultsDisk } from './registry-options.js';
export { TargetDirectory } from './target-directory.js';
export { isTargetId, type TargetView } from './targets.js';

/** Registry of backends, their settings and the default. Create with `BackendRegistry.open()`. */
export class BackendRegistry {
  readonly events: StorageEvents;
  /** Where each provider's bytes live and lived, and the drivers to read there. */
  readonly targets: TargetDirectory;
  readonly #store: SettingsStore;
  readonly #local: ResultsDisk;
  readonly #logger: Logger;
  readonly #vault: SettingsVault;
  readonly #definitions = new DriverCatalogue();
  readonly #drivers = new DriverCache();
  readonly #fallbacks: FallbackNotices;
  #document: SettingsDocument;
  #trust: DocumentTrust;
  #changes: Promise<unknown> = Promise.resolve();

  private constructor(options: RegistryOptions, document: SettingsDocument) {
    this.#store = options.store;
    this.#local = options.local;
    this.#logger = options.logger ?? silentLogger;
    this.events = options.events ?? new StorageEvents();
    this.#fallbacks = new FallbackNotices(this.#logger, this.events);
    this.#vault = new SettingsVault(options.appKey);
    this.#document = document;
    this.#trust = this.#adopt(document);
    this.targets = new TargetDirectory({
      local: this.#local,
      definitions: this.#definitions,
      drivers: this.#drivers,
      vault: this.#vault,
      logger: this.#logger,
      document: () => this.#document,
      trust: () => this.#trust,
      providerDriver: (name) => this.driver(name),
      change: (run) => this.#change(run),
      saveEntry: (entry) => this.#commit({ providers: { ...this.#document.providers, [entry.name]: entry } }),
    });
    for (const definition of options.definitions ?? []) this.register(definition);
  }

  /** Loads the stored settings and returns a registry. Throws MISCONFIGURED when the store is unreadable. */
  static async open(options: RegistryOptions): Promise<BackendRegistry> {
    checkRegistryOptions(options);
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
    const isDefault = this.defaultBackend === name;
    if (name === LOCAL_BACKEND)
      return localProviderView(this.#local.root, isDefault, defaultProblems(this.#trust, isDefault));
    const definition = this.#definitions.get(name);
    const entry = this.#document.providers[name];
    if (!definition && !entry) throw unregisteredBackend(name);
    const problems = viewProblems({ name, definition, entry, isDefault, vault: this.#vault, trust: this.#trust });
    return providerView({
      name,
      definition,
      entry,
      isDefault,
      problems,
      secretValues: this.#vault.secretValues(entry),
    });
  }

  /**
   * Saves a provider's settings after validating them completely (one
   * ConfigError naming every bad field, before anything is stored; an unknown
   * field such as `secret_key` included). Non-secret fields replace the stored
   * ones; a secret left blank keeps the stored one; `deleteLocal` is kept by the
   * registry. Does not enable the provider. An entry that fails its integrity
   * check is not reused: it comes back disabled, and secrets must be entered again.
   */
  saveSettings(name: string, input: Readonly<Record<string, unknown>>): Promise<ProviderView> {
    return this.#change(async () => {
      const definition = this.#definitionFor(name);
      const existing = this.#trusted(name);
      const candidate = this.#vault.candidate(name, definition, input, existing, { encrypt: true });
      await tryDriver(name, definition, candidate.settings, this.#logger);
      const placement = nextTargets(name, definition.placementFields, existing.entry, candidate);
      const entry = this.#vault.seal(name, candidate, { enabled: existing.entry?.enabled ?? false }, placement);
      await this.#commit({ providers: { ...this.#document.providers, [name]: entry } });
      this.#drivers.retire(name);
      this.#drivers.retire(placement.target);
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
      if (!entry) throw nothingToEnable(name);
      await tryDriver(name, definition, this.#vault.open(name, definition, entry, this.#trust), this.#logger);
      await this.#commit({
        providers: { ...this.#document.providers, [name]: this.#vault.reflag(entry, { enabled: true }, this.#trust) },
      });
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
      await this.#commit({
        providers: { ...this.#document.providers, [name]: this.#vault.reflag(entry, { enabled: false }, this.#trust) },
        ...(wasDefault ? { defaultBackend: undefined } : {}),
      });
      if (wasDefault)
        this.#logger.warn({ backend: name }, 'default storage backend disabled; new results go to local disk');
      this.#logger.info({ backend: name }, 'storage provider disabled');
      return this.provider(name);
    });
  }

  /**
   * Deletes a provider's settings and targets: objects are not touched, but its
   * locations stop resolving (MISCONFIGURED), so this refuses unless called with
   * `{ forgetStoredObjects: true }`; `disable()` keeps them serving. A removed
   * default goes back to local disk.
   */
  remove(name: string, options: { forgetStoredObjects?: boolean } = {}): Promise<void> {
    return this.#change(async () => {
      refuseLocal(name, 'removed');
      if (!this.#document.providers[name]) throw unknownOrUnconfigured(name, this.#definitions.has(name));
      if (options?.forgetStoredObjects !== true) throw removalNeedsConfirmation(name);
      const { [name]: _removed, ...providers } = this.#document.providers;
      const wasDefault = this.#document.defaultBackend === name;
      await this.#commit({ providers, ...(wasDefault ? { defaultBackend: undefined } : {}) });
      this.#drivers.retire(name);
      if (wasDefault)
        this.#logger.warn({ backend: name }, 'default storage backend removed; new results go to local disk');
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
        if (!entry?.enabled) throw notEnabled(name);
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
    const usable = usableDefault({
      name,
      entry,
      trust: this.#trust,
      driver: () => this.driver(name),
      secretValues: () => this.#vault.secretValues(entry),
    });
    if ('active' in usable) return usable.active;
    this.#fallbacks.announce(name, usable.reason);
    return { ...this.#localActive(), fallback: { from: name, reason: usable.reason } };
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
    const stored = this.#document.providers[name];
    const source = { name, definition, input, stored, vault: this.#vault, trust: this.#trust };
    const settings = () => settingsToTest({ ...source, trusted: () => this.#trusted(name) });
    return testConnection({ name, definition, secrets, settings, logger: this.#logger });
  }

  /**
   * Re-reads the store (e.g. after another process changed settings) and drops
   * cached drivers; emits 'settings:changed' when the revision moved on.
   */
  reload(): Promise<void> {
    return this.#change(async () => {
      const before = this.#document.revision;
      const document = await this.#store.load();
      this.#adopt(document);
      this.#drivers.retireAll();
      // Another process's change may fix what blocked results wait for. That process's own storage
      // queued them again, but with this one's settings still old its worker blocked them once more.
      if (document.revision !== before) {
        emitSafely(this.events, this.#logger, 'settings:changed', { revision: document.revision });
      }
    });
  }

  /** Closes every driver the registry built (not the local one, which the app owns). */
  async close(): Promise<void> {
    await this.#changes.catch(() => undefined);
    await this.#drivers.close();
  }

  #localActive(): ActiveBackend {
    return {
      name: LOCAL_BACKEND,
      target: LOCAL_BACKEND,
      driver: this.#local,
      deleteLocal: false,
      keyTemplate: undefined,
    };
  }

  // Admin changes run one at a time so read-modify-write of the document never interleaves.
  #change<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#changes.catch(() => undefined).then(run);
    this.#changes = next;
    return next;
  }

  #definitionFor(name: string): AnyDriverDefinition {
    if (name === LOCAL_BACKEND) throw localConfiguredByApp();
    return this.#definitions.require(name);
  }

  // Saves the next revision of the document (compare-and-set on the current one), then adopts it.
  async #commit(change: Partial<Pick<SettingsDocument, 'defaultBackend' | 'providers'>>): Promise<void> {
    const next = this.#vault.nextDocument(this.#document, this.#trust, change);
    if (next.defaultBackend !== this.#document.defaultBackend && !('defaultBackend' in change)) {
      this.#logger.warn({ backend: this.#document.defaultBackend }, 'untrusted default backend choice dropped');
    }
    await this.#store.save(next, this.#document.revision);
    this.#adopt(next);
    emitSafely(this.events, this.#logger, 'settings:changed', { revision: next.revision });
  }

  // Makes `document` the current one, with what its signature vouches for.
  #adopt(document: SettingsDocument): DocumentTrust {
    this.#document = document;
    this.#trust = this.#vault.verifyDocument(document);
    this.#fallbacks.reset();
    const problem = this.#trust.defaultProblem;
    if (problem) this.#logger.warn({ reason: problem.message }, 'default backend choice failed its integrity check');
    return this.#trust;
  }

  // The stored entry when it passes its integrity check; an entry that fails is not reused.
  #trusted(name: string): TrustedEntry {
    const trusted = this.#vault.trusted(this.#document.providers[name], this.#trust);
    if (trusted.problem) {
      this.#logger.warn({ backend: name }, 'stored provider settings failed their integrity check; not reused');
    }
    return trusted;
  }

  // Builds the driver of a configured backend from its stored settings; MISCONFIGURED when that fails.
  #build(name: string): StorageDriver {
    const definition = this.#definitions.require(name);
    const entry = this.#document.providers[name];
    if (!entry) throw noSettingsToServe(name);
    return createDriver(name, definition, this.#vault.open(name, definition, entry, this.#trust), this.#logger);
  }
}
