/**
 * The registry's targets as callers use them: which target new results of a
 * provider go to, every target it has had, a driver for any of them (current
 * or old), their views, and forgetting an old one. It is the TargetResolver
 * offload, reads and migrations resolve locations through. See
 * docs/architecture.md, "Targets".
 */
import type { Logger } from '../logger.js';
import type { TargetResolver } from '../offload/targets.js';
import { redactSecretsIn } from '../settings/redaction.js';
import type { SettingsDocument, StoredProviderEntry } from '../settings/store.js';
import type { DocumentTrust, SettingsVault } from '../settings/vault.js';
import type { StorageDriver } from '../types.js';
import { createDriver, type DriverCatalogue, LOCAL_BACKEND } from './definitions.js';
import type { DriverCache } from './driver-cache.js';
import { noSettingsToServe, unknownOrUnconfigured } from './refusals.js';
import {
  currentTargetId,
  isTargetId,
  providerOfTarget,
  type TargetView,
  targetIds,
  targetNumber,
  targetOf,
  targetViews,
  withoutTarget,
} from './targets.js';

/** What the directory reads from, and changes through, the registry that owns it. */
export interface TargetHost {
  readonly local: StorageDriver & { readonly root: string };
  readonly definitions: DriverCatalogue;
  readonly drivers: DriverCache;
  readonly vault: SettingsVault;
  /** The registry's logger, handed to the drivers of old targets. */
  readonly logger: Logger;
  document(): SettingsDocument;
  trust(): DocumentTrust;
  /** The provider's own (current target's) driver. */
  providerDriver(name: string): StorageDriver;
  /** Runs an admin change in the registry's queue. */
  change<T>(run: () => Promise<T>): Promise<T>;
  /** Saves one entry as the next revision of the document. */
  saveEntry(entry: StoredProviderEntry): Promise<void>;
}

/** A registry's targets. Get it as `registry.targets`. */
export class TargetDirectory implements TargetResolver {
  readonly #host: TargetHost;

  constructor(host: TargetHost) {
    this.#host = host;
  }

  /** The target new results of `backend` go to: "local", or e.g. "r2.2". MISCONFIGURED when it has no settings. */
  current(backend: string): string {
    if (backend === LOCAL_BACKEND) return LOCAL_BACKEND;
    return currentTargetId(this.#entry(backend));
  }

  /** The provider of a target and a driver to read and write there; current or old alike. */
  open(target: string): { readonly backend: string; readonly driver: StorageDriver } {
    return { backend: providerOfTarget(target), driver: this.driver(target) };
  }

  /** True when `name` is a target id ("local", "r2.1") rather than a provider name ("r2"). */
  isTarget(name: string): boolean {
    return isTargetId(name);
  }

  /** Every target `backend` has had, oldest first; empty for a provider with no settings. */
  targetsOf(backend: string): readonly string[] {
    if (backend === LOCAL_BACKEND) return [LOCAL_BACKEND];
    const entry = this.#host.document().providers[backend];
    return entry ? targetIds(entry) : [];
  }

  /** True when a driver is registered as `name` (local disk included), whether or not its settings were saved. */
  isProvider(name: string): boolean {
    return name === LOCAL_BACKEND || this.#host.definitions.has(name);
  }

  /**
   * True when `target` was one of its provider's targets and `forget()` (as
   * `removeTarget()` calls it) let it go: what it held is unknown to Stowage
   * from then on. False for a target that is still known, or never was.
   */
  wasForgotten(target: string): boolean {
    if (target === LOCAL_BACKEND || !isTargetId(target)) return false;
    const entry = this.#host.document().providers[providerOfTarget(target)];
    if (!entry || targetIds(entry).includes(target)) return false;
    // Ids are numbered in the order the provider's places were made, so every number below the current one was a target.
    return targetNumber(target) < targetNumber(currentTargetId(entry));
  }

  /** The views of every target (of one provider, when named): where each lived, and which is current. */
  list(provider?: string): TargetView[] {
    const document = this.#host.document();
    const names = provider === undefined ? [LOCAL_BACKEND, ...Object.keys(document.providers)] : [provider];
    return names.flatMap((name) => {
      if (name === LOCAL_BACKEND) {
        const place = { root: this.#host.local.root };
        return [{ id: LOCAL_BACKEND, provider: LOCAL_BACKEND, place, current: true, createdAt: undefined }];
      }
      const entry = document.providers[name];
      if (!entry) return [];
      // A secret pasted into a placement field (a key prefix, a bucket) is part of the place: scrubbed, as in provider views.
      const secrets = this.#secretValues(entry);
      return targetViews(entry, this.#host.definitions.get(name)?.placementFields ?? []).map((view) => ({
        ...view,
        place: redactSecretsIn(view.place, secrets),
      }));
    });
  }

  /** The secrets of an entry and of each of its targets (an old target may hold an older one); none that cannot be decrypted. */
  #secretValues(entry: StoredProviderEntry): unknown[] {
    const vault = this.#host.vault;
    return [entry, ...(entry.targets ?? []).map((target) => ({ ...entry, secrets: target.secrets }))].flatMap((one) =>
      vault.secretValues(one),
    );
  }

  /**
   * The driver of a target: its provider's driver for the current one, else
   * one built from the target's stored settings and secrets, cached. Throws
   * MISCONFIGURED naming the provider or target when it cannot be served.
   */
  driver(target: string): StorageDriver {
    const name = providerOfTarget(target);
    if (name === LOCAL_BACKEND) return this.#host.local;
    const entry = this.#entry(name);
    if (target === currentTargetId(entry)) return this.#host.providerDriver(name);
    return this.#host.drivers.get(target, () => {
      const definition = this.#host.definitions.require(name);
      const stored = targetOf(entry, target, definition.placementFields);
      return createDriver(
        name,
        definition,
        this.#host.vault.openTarget(name, definition, entry, stored, this.#host.trust()),
        this.#host.logger,
      );
    });
  }

  /**
   * Forgets an old target (never a provider's current one): locations stored
   * there stop resolving. `storage.removeTarget()` refuses while the catalog
   * still has results there; call this directly only when nothing is stored there.
   */
  forget(target: string): Promise<void> {
    return this.#host.change(async () => {
      const name = providerOfTarget(target);
      const entry = this.#host.document().providers[name];
      if (!entry || !targetIds(entry).includes(target)) {
        throw unknownOrUnconfigured(name, this.#host.definitions.has(name));
      }
      const kept = this.#host.vault.revise(entry, withoutTarget(entry, target), this.#host.trust());
      await this.#host.saveEntry(kept);
      this.#host.drivers.retire(target);
    });
  }

  #entry(name: string): StoredProviderEntry {
    const entry = this.#host.document().providers[name];
    if (entry) return entry;
    this.#host.definitions.require(name);
    throw noSettingsToServe(name);
  }
}
