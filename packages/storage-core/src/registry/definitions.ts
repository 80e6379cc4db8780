/**
 * The catalogue of driver definitions a registry knows, by backend name. One
 * definition may be registered under several names (two S3-compatible
 * providers, or several local roots), and "local" is kept for the results disk.
 */
import type { DriverDefinition } from '../driver-definition.js';
import { ErrorCode, StorageError } from '../errors.js';
import { validateBackendName } from '../location.js';
import type { Logger } from '../logger.js';
import { redactSecrets } from '../settings/redaction.js';
import type { StorageDriver } from '../types.js';

/** The name of the always-present local disk backend. */
export const LOCAL_BACKEND = 'local';

/** A driver definition with its settings type erased, as the registry holds it. */
// biome-ignore lint/suspicious/noExplicitAny: definitions of any settings type share one registry
export type AnyDriverDefinition = DriverDefinition<any>;

/**
 * The error for a backend name no definition is registered under. MISCONFIGURED,
 * wherever the name came from (an admin call, a stored location, a settings
 * entry): the fix is always in the app's set-up, by registering a definition
 * under that name.
 */
export function unregisteredBackend(name: string): StorageError {
  return new StorageError(ErrorCode.Misconfigured, `no driver is registered as "${name}"`, {
    details: { backend: name },
  });
}

/**
 * Builds the driver of backend `name` from settings that passed the schema,
 * logging to `logger`. MISCONFIGURED, naming the backend and the driver's
 * reason (scrubbed of the settings' secrets), when the driver refuses them.
 */
export function createDriver(
  name: string,
  definition: AnyDriverDefinition,
  settings: unknown,
  logger: Logger,
): StorageDriver {
  try {
    return definition.create(settings, { backend: name, logger });
  } catch (error) {
    const record = (typeof settings === 'object' && settings !== null ? settings : {}) as Record<string, unknown>;
    const reason = redactSecrets(
      (error as Error).message,
      definition.secretFields.map((field) => record[field]),
    );
    throw new StorageError(ErrorCode.Misconfigured, `driver "${name}" refused its settings: ${reason}`, {
      cause: error,
      details: { backend: name },
    });
  }
}

/** Driver definitions by backend name. */
export class DriverCatalogue {
  readonly #definitions = new Map<string, AnyDriverDefinition>();

  /**
   * Adds `definition` under `name` (default: its own name). Throws INVALID_INPUT
   * for a bad or taken name, for "local", and for a definition without a
   * schema or a create function.
   */
  register(definition: AnyDriverDefinition, name: string | undefined = definition?.name): void {
    const valid = validateBackendName(name);
    if (typeof definition?.create !== 'function' || typeof definition.schema?.safeParse !== 'function') {
      throw new StorageError(
        ErrorCode.InvalidInput,
        `driver definition "${valid}" needs a schema and a create function`,
      );
    }
    if (valid === LOCAL_BACKEND) {
      throw new StorageError(
        ErrorCode.InvalidInput,
        '"local" is reserved for the results disk given to the registry; register another local root under a name of its own, e.g. register(localDriverDefinition, { name: "nas" })',
      );
    }
    if (this.#definitions.has(valid)) {
      throw new StorageError(ErrorCode.InvalidInput, `a driver is already registered as "${valid}"`);
    }
    this.#definitions.set(valid, definition);
  }

  /** The definition registered as `name`, if any. */
  get(name: string): AnyDriverDefinition | undefined {
    return this.#definitions.get(name);
  }

  /** The definition registered as `name`; MISCONFIGURED (see `unregisteredBackend`) when there is none. */
  require(name: string): AnyDriverDefinition {
    const definition = this.#definitions.get(name);
    if (!definition) throw unregisteredBackend(name);
    return definition;
  }

  /** True when a definition is registered as `name`. */
  has(name: string): boolean {
    return this.#definitions.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#definitions.keys()];
  }
}
