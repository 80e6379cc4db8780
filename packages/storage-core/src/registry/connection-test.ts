/**
 * Building throw-away drivers from settings a registry has not committed to:
 * "test connection" (build, probe, close) and the trial that save and enable
 * run (build, close) so settings a driver refuses are never stored or enabled.
 */
import { ConfigError } from '../errors.js';
import { errorFacts, type Logger, silentLogger } from '../logger.js';
import { configureFailureReport } from '../probe.js';
import { redactSecrets } from '../settings/redaction.js';
import type { StoredProviderEntry } from '../settings/store.js';
import type { DocumentTrust, SettingsVault, TrustedEntry } from '../settings/vault.js';
import type { ProbeReport, StorageDriver } from '../types.js';
import type { AnyDriverDefinition } from './definitions.js';

/** What a connection test runs against. */
export interface ConnectionTest {
  readonly name: string;
  readonly definition: AnyDriverDefinition;
  /**
   * The settings to test, resolved only when the test runs. A throw here
   * (invalid settings, a secret that cannot be trusted) is reported as a
   * failed 'configure' step, like a driver that refuses the settings.
   */
  readonly settings: () => unknown;
  /** Secret values already known (those entered), scrubbed from the report with the ones the settings hold. */
  readonly secrets?: readonly unknown[];
  /** Where the trial driver logs; nowhere when left out. */
  readonly logger?: Logger;
}

/**
 * Builds a driver from the test's settings, runs its probe and closes it.
 * Never throws: settings problems are a failed 'configure' step, backend
 * problems whatever step the probe reports.
 */
export async function testConnection(test: ConnectionTest): Promise<ProbeReport> {
  const secrets = [...(test.secrets ?? [])];
  const scrubbed = (report: ProbeReport): ProbeReport => ({
    ...report,
    message: redactSecrets(report.message, secrets),
  });
  let driver: StorageDriver;
  try {
    const settings = test.settings();
    secrets.push(...secretValues(test.definition, settings));
    driver = test.definition.create(settings, { backend: test.name, logger: test.logger ?? silentLogger });
  } catch (error) {
    return scrubbed(configureFailureReport(test.name, error));
  }
  try {
    return scrubbed(await driver.probe());
  } finally {
    await driver.close().catch(() => undefined);
  }
}

/** The values of a definition's secret fields in `settings` (entered or parsed). */
export function secretValues(definition: AnyDriverDefinition, settings: unknown): unknown[] {
  const record = (typeof settings === 'object' && settings !== null ? settings : {}) as Record<string, unknown>;
  return definition.secretFields.map((field) => record[field]);
}

/**
 * Builds a driver from `settings` only to learn whether the driver accepts
 * them (no I/O: drivers must not do any when built), then closes it. Throws a
 * ConfigError with the driver's reason when it refuses; a failing close is logged.
 */
export async function tryDriver(
  name: string,
  definition: AnyDriverDefinition,
  settings: unknown,
  logger: Logger,
): Promise<void> {
  let driver: StorageDriver;
  try {
    driver = definition.create(settings, { backend: name, logger });
  } catch (error) {
    const reason = redactSecrets((error as Error).message, secretValues(definition, settings));
    throw new ConfigError(`settings for "${name}"`, [reason], { cause: error });
  }
  await driver.close().catch((error: unknown) => {
    logger.warn({ backend: name, error: errorFacts(error) }, 'closing a trial driver failed');
  });
}

/** Where the settings of a connection test come from. */
export interface SettingsToTest {
  readonly name: string;
  readonly definition: AnyDriverDefinition;
  /** Entered settings, or undefined to test the stored ones. */
  readonly input: Readonly<Record<string, unknown>> | undefined;
  readonly stored: StoredProviderEntry | undefined;
  /** The stored entry as far as it can be trusted, for "blank keeps the stored secret". */
  readonly trusted: () => TrustedEntry;
  readonly vault: SettingsVault;
  readonly trust: DocumentTrust;
}

/** Entered settings merged with the trusted stored ones, or the stored settings when nothing was entered. */
export function settingsToTest(source: SettingsToTest): unknown {
  const { name, definition, input, vault } = source;
  if (input !== undefined)
    return vault.candidate(name, definition, input, source.trusted(), { encrypt: false }).settings;
  if (!source.stored) throw new ConfigError(`settings for "${name}"`, ['no settings saved yet']);
  return vault.open(name, definition, source.stored, source.trust);
}
