/**
 * The admin actions, shared by the JSON API and the page: each calls the
 * registry's public API and logs what was done (provider and action, never
 * a setting's value).
 */
import {
  type CatalogStats,
  ErrorCode,
  isStorageError,
  type ProbeReport,
  type ProviderView,
} from '@stowage/storage-core';
import type { ResolvedAdminOptions } from './options.js';

/** Saves `input` as the settings of `name` (blank secrets keep the stored ones). */
export async function saveSettings(
  options: ResolvedAdminOptions,
  name: string,
  input: Readonly<Record<string, unknown>>,
): Promise<ProviderView> {
  const view = await options.storage.registry.saveSettings(name, input);
  options.logger.info({ backend: name, action: 'save' }, 'storage admin: provider settings saved');
  return view;
}

/** "Test connection" of the stored settings of `name`. */
export async function testConnection(options: ResolvedAdminOptions, name: string): Promise<ProbeReport> {
  const report = await options.storage.registry.testConnection(name);
  options.logger.info(
    { backend: name, action: 'test', ok: report.ok, failedStep: report.failedStep, code: report.code },
    'storage admin: connection tested',
  );
  return report;
}

/** Enables or disables `name`. */
export async function setEnabled(options: ResolvedAdminOptions, name: string, enabled: boolean): Promise<ProviderView> {
  const registry = options.storage.registry;
  const view = enabled ? await registry.enable(name) : await registry.disable(name);
  options.logger.info(
    { backend: name, action: enabled ? 'enable' : 'disable' },
    `storage admin: provider ${enabled ? 'enabled' : 'disabled'}`,
  );
  return view;
}

/** Makes `name` the Default Storage. */
export async function setDefault(options: ResolvedAdminOptions, name: string): Promise<void> {
  await options.storage.registry.setDefault(name);
  options.logger.info({ backend: name, action: 'default' }, 'storage admin: default storage changed');
}

/** Where new results go now: the default, or local disk with the reason the default cannot be used. */
export function activeBackend(options: ResolvedAdminOptions): { name: string; fallbackReason: string | undefined } {
  const active = options.storage.registry.active();
  return { name: active.name, fallbackReason: active.fallback?.reason };
}

/** How far back "recent failures" go. */
const RECENT_FAILURES_MS = 24 * 60 * 60 * 1000;

/** Catalog counts, or why there are none (the storage keeps no catalog). */
export async function statsOf(
  options: ResolvedAdminOptions,
): Promise<{ readonly counts: CatalogStats } | { readonly counts: undefined; readonly reason: string }> {
  try {
    return { counts: await options.storage.stats({ since: Date.now() - RECENT_FAILURES_MS }) };
  } catch (error) {
    if (isStorageError(error, ErrorCode.Unsupported)) {
      return { counts: undefined, reason: 'This storage keeps no catalog, so there are no result counts.' };
    }
    throw error;
  }
}
