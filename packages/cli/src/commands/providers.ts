/**
 * `stowage providers set <name> --field value…`: saves a provider's settings
 * (the stored non-secret fields kept unless given or unset, a secret not given
 * kept as stored), optionally tests the connection right after, and shows the
 * redacted view (secrets only as set / not set). `stowage providers list`
 * shows every provider the CLI knows.
 */
import { LOCAL_BACKEND, type ProviderView, REDACTED, type Storage } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { cliDefinitions, definitionNamed } from '../definitions.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { table } from '../format.js';
import { readSecrets } from '../secrets.js';
import { optionName, settingsChange } from '../settings-options.js';
import { probeJson, probeLines } from './test.js';

/** A provider as `--json` shows it: the redacted view, never a secret. */
export function viewJson(view: ProviderView): Record<string, unknown> {
  return {
    name: view.name,
    label: view.label,
    configured: view.configured,
    enabled: view.enabled,
    isDefault: view.isDefault,
    deleteLocal: view.deleteLocal,
    settings: view.settings,
    secrets: view.secrets,
    problems: view.problems,
  };
}

/** Human lines for a provider view. */
function viewLines(view: ProviderView): string[] {
  return [
    `${view.name} (${view.label}): ${view.enabled ? 'enabled' : 'disabled'}${view.isDefault ? ', default' : ''}`,
    ...Object.entries(view.settings).map(([field, value]) => `  ${field}: ${JSON.stringify(value)}`),
    ...Object.entries(view.secrets).map(([field, state]) => `  ${field}: ${state.set ? '(set)' : '(not set)'}`),
    `  deleteLocal: ${view.deleteLocal}`,
    ...view.problems.map((problem) => `  problem: ${problem}`),
  ];
}

/** Refuses (exit 2) a name that is neither local disk nor a provider the CLI knows. */
export async function knownProvider(name: string): Promise<void> {
  if (name !== LOCAL_BACKEND) await editableProvider(name);
}

/** The definition of a provider whose settings the CLI enters; CliError (exit 2) otherwise. */
async function editableProvider(name: string) {
  if (name === LOCAL_BACKEND) {
    throw new CliError('USAGE', 'local is the results disk: it is set in the config file (results.dir), not here');
  }
  const definition = await definitionNamed(name);
  if (!definition) {
    throw new CliError(
      'USAGE',
      `unknown provider "${name.slice(0, 64)}"; known: ${(await cliDefinitions()).map((known) => known.name).join(', ')}`,
    );
  }
  return definition;
}

/** The settings to save: what is stored, then the change. */
function mergedInput(
  storage: Storage,
  name: string,
  change: ReturnType<typeof settingsChange>,
  secrets: Record<string, string>,
) {
  const view = storage.registry.provider(name);
  const input: Record<string, unknown> = view.configured ? { ...view.settings } : {};
  for (const field of change.unset) delete input[field];
  // The view is all the CLI can read of the stored settings, and it scrubs a secret pasted into another field:
  // keeping such a field would save the text "[redacted]" in its place (a new target, for a placement field).
  const lossy = Object.entries(input)
    .filter(([field, value]) => !(field in change.values) && typeof value === 'string' && value.includes(REDACTED))
    .map(([field]) => field);
  if (lossy.length > 0) {
    throw new CliError(
      'USAGE',
      `providers set ${name}: ${lossy
        .map(
          (field) =>
            `${field}: its stored value holds a secret (shown as ${REDACTED}), so it cannot be kept as is; give it again with --${optionName(field)} or clear it with --unset ${field}`,
        )
        .join('; ')}`,
    );
  }
  return { ...input, ...change.values, ...secrets };
}

/** Runs `providers set`. */
export async function runProvidersSet(
  context: CommandContext,
  name: string,
  options: Record<string, unknown>,
): Promise<ExitCodeValue> {
  const definition = await editableProvider(name);
  const change = settingsChange(definition, options, await cliDefinitions());
  const secrets = await readSecrets({
    fromEnv: change.fromEnv,
    prompt: change.prompt,
    env: context.io.env,
    stdin: context.io.stdin,
    promptOutput: context.io.stderr,
  });
  return context.withStorage(async ({ storage }) => {
    const view = await storage.registry.saveSettings(name, mergedInput(storage, name, change, secrets));
    const report = options.test === true ? await storage.registry.testConnection(name) : undefined;
    context.output.result({
      ok: report?.ok ?? true,
      provider: viewJson(view),
      ...(report ? { test: probeJson(report) } : {}),
    });
    context.output.lines([
      `saved settings of ${name}`,
      ...viewLines(view),
      ...(report ? probeLines(name, report) : []),
    ]);
    return report && !report.ok ? ExitCode.Failure : ExitCode.Ok;
  });
}

/** Runs `providers list`. */
export async function runProvidersList(context: CommandContext): Promise<ExitCodeValue> {
  return context.withStorage(async ({ storage }) => {
    const views = storage.registry.providers();
    context.output.result({ ok: true, providers: views.map(viewJson) });
    context.output.lines(
      table([
        ['name', 'label', 'configured', 'enabled', 'default'],
        ...views.map((view) => [
          view.name,
          view.label,
          view.configured ? 'yes' : 'no',
          view.enabled ? 'yes' : 'no',
          view.isDefault ? 'yes' : '',
        ]),
      ]),
    );
    return ExitCode.Ok;
  });
}
