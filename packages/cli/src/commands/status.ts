/**
 * `stowage status`: the providers (configured, enabled, default, problems),
 * where new results go now, every target with its result counts, and the
 * catalog's counts by state.
 */
import { LOCAL_BACKEND, type Storage } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatBytes, table } from '../format.js';
import { describeCatalog } from '../open-storage.js';

/** Everything `status` reports, as its JSON. */
async function statusReport(storage: Storage) {
  const active = storage.registry.active();
  const stats = await storage.stats();
  return {
    providers: storage.registry.providers().map((view) => ({
      name: view.name,
      label: view.label,
      configured: view.configured,
      enabled: view.enabled,
      isDefault: view.isDefault,
      deleteLocal: view.deleteLocal,
      secrets: view.secrets,
      problems: view.problems,
    })),
    defaultBackend: storage.registry.defaultBackend,
    active: {
      name: active.name,
      target: active.target,
      ...(active.fallback ? { fallback: active.fallback } : {}),
    },
    targets: (await storage.targets()).map((target) => ({
      id: target.id,
      provider: target.provider,
      place: target.place,
      current: target.current,
      results: target.results,
      bytes: target.bytes,
    })),
    catalog: { total: stats.total, byState: stats.byState, inFlight: stats.inFlight },
  };
}

/** Runs `status`. */
export async function runStatus(context: CommandContext): Promise<ExitCodeValue> {
  return context.withStorage(async ({ storage, config }) => {
    const report = await statusReport(storage);
    context.output.result({
      ok: true,
      config: config.file,
      catalogLocation: describeCatalog(config.catalog),
      ...report,
    });
    const shown = report.providers.filter((view) => view.configured || view.name === LOCAL_BACKEND);
    context.output.lines([
      `config: ${config.file}`,
      `new results go to: ${report.active.name} (${report.active.target})${report.active.fallback ? ` - default "${report.active.fallback.from}" cannot be used: ${report.active.fallback.reason}` : ''}`,
      '',
      'providers:',
      ...table([
        ['  name', 'enabled', 'default', 'secrets', 'problems'],
        ...shown.map((view) => [
          `  ${view.name}`,
          view.enabled ? 'yes' : 'no',
          view.isDefault ? 'yes' : '',
          Object.entries(view.secrets)
            .map(([field, state]) => `${field} ${state.set ? 'set' : 'not set'}`)
            .join(', ') || '-',
          view.problems.join('; ') || '-',
        ]),
      ]),
      `  (${report.providers.length - shown.length} more not configured: ${report.providers
        .filter((view) => !shown.includes(view))
        .map((view) => view.name)
        .join(', ')})`,
      '',
      'targets:',
      ...table([
        ['  id', 'current', 'results', 'bytes', 'place'],
        ...report.targets.map((target) => [
          `  ${target.id}`,
          target.current ? 'yes' : 'no',
          String(target.results),
          formatBytes(target.bytes),
          JSON.stringify(target.place),
        ]),
      ]),
      '',
      `catalog (${config.catalog.kind}): ${report.catalog.total} results, ${report.catalog.inFlight} in flight`,
      ...Object.entries(report.catalog.byState).map(([state, count]) => `  ${state}: ${count}`),
    ]);
    return ExitCode.Ok;
  });
}
