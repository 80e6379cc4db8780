/**
 * Which backend new results go to: the chosen default when it can be used,
 * else local disk, with the reason said once (logged and emitted as
 * 'backend:fallback') rather than on every offload.
 */
import { emitSafely, type StorageEvents } from '../events.js';
import type { Logger } from '../logger.js';
import { redactSecrets } from '../settings/redaction.js';
import type { StoredProviderEntry } from '../settings/store.js';
import type { DocumentTrust } from '../settings/vault.js';
import type { StorageDriver } from '../types.js';
import { LOCAL_BACKEND } from './definitions.js';
import type { ActiveBackend } from './registry-options.js';
import { currentTargetId } from './targets.js';

/** The default backend when it can be used, or why not. */
export function usableDefault(options: {
  readonly name: string;
  readonly entry: StoredProviderEntry | undefined;
  readonly trust: DocumentTrust;
  readonly driver: () => StorageDriver;
  readonly secretValues: () => unknown[];
}): { readonly active: ActiveBackend } | { readonly reason: string } {
  const { name, entry } = options;
  if (!entry) return { reason: `default backend "${name}" has no settings` };
  if (!entry.enabled) return { reason: `default backend "${name}" is disabled` };
  try {
    const driver = options.driver();
    if (options.trust.defaultProblem) return { reason: options.trust.defaultProblem.message };
    return {
      active: {
        name,
        target: currentTargetId(entry),
        driver,
        deleteLocal: entry.deleteLocal,
        keyTemplate: entry.keyTemplate,
      },
    };
  } catch (error) {
    return { reason: redactSecrets((error as Error).message, options.secretValues()) };
  }
}

/** Says each distinct fallback once, until `reset()` (a settings change). */
export class FallbackNotices {
  readonly #logger: Logger;
  readonly #events: StorageEvents;
  #last: string | undefined;

  constructor(logger: Logger, events: StorageEvents) {
    this.#logger = logger;
    this.#events = events;
  }

  announce(from: string, reason: string): void {
    const key = `${from}\u0000${reason}`;
    if (this.#last === key) return;
    this.#last = key;
    this.#logger.warn({ backend: from, reason }, 'default storage backend unusable; new results stay on local disk');
    emitSafely(this.#events, this.#logger, 'backend:fallback', { from, to: LOCAL_BACKEND, reason });
  }

  reset(): void {
    this.#last = undefined;
  }
}
