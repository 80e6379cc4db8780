/**
 * `stowage enable|disable <provider>` and `stowage use <provider>`: make a
 * provider selectable, stop new results going to it (its objects keep
 * serving), or make it the default for new results. None of them moves,
 * copies or deletes anything stored.
 */
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { knownProvider, viewJson } from './providers.js';

/** Runs `enable` or `disable`. */
export async function runSwitch(
  context: CommandContext,
  action: 'enable' | 'disable',
  name: string,
): Promise<ExitCodeValue> {
  await knownProvider(name);
  return context.withStorage(async ({ storage }) => {
    const view = action === 'enable' ? await storage.registry.enable(name) : await storage.registry.disable(name);
    context.output.result({ ok: true, provider: viewJson(view) });
    context.output.lines([
      `${name}: ${view.enabled ? 'enabled' : 'disabled'}${view.isDefault ? ' (default)' : ''}`,
      ...(action === 'disable'
        ? [`  its stored objects keep serving; new results go to ${storage.registry.active().name}`]
        : []),
    ]);
    return ExitCode.Ok;
  });
}

/** Runs `use`. */
export async function runUse(context: CommandContext, name: string): Promise<ExitCodeValue> {
  await knownProvider(name);
  return context.withStorage(async ({ storage }) => {
    await storage.registry.setDefault(name);
    const active = storage.registry.active();
    context.output.result({
      ok: true,
      defaultBackend: storage.registry.defaultBackend,
      active: { name: active.name, target: active.target },
    });
    context.output.lines([`default storage: ${name}; new results go to ${active.name} (${active.target})`]);
    return ExitCode.Ok;
  });
}
