/**
 * The providers as the admin shows them: the registry's redacted view (its
 * secrets only as set / not set) joined with the driver's settings fields.
 */
import {
  type AnyDriverDefinition,
  LOCAL_BACKEND,
  type ProviderView,
  type SettingsField,
  type Storage,
} from '@stowage/storage-core';
import { HttpProblem } from './http-problem.js';

/** One provider on the admin's screens. */
export interface AdminProvider {
  readonly view: ProviderView;
  /** The fields of its settings form; empty for local disk and for a backend whose definition the admin was not given. */
  readonly fields: readonly SettingsField[];
  /** Its settings are entered here (false for local disk, which the app configures, and without a definition). */
  readonly editable: boolean;
  /** The names of its secret fields. */
  readonly secretFields: readonly string[];
}

function adminProvider(view: ProviderView, definition: AnyDriverDefinition | undefined): AdminProvider {
  const editable = view.name !== LOCAL_BACKEND && definition !== undefined;
  return {
    view,
    fields: editable ? (definition?.fields ?? []) : [],
    editable,
    secretFields: definition?.secretFields ?? [],
  };
}

/** Every provider the registry knows, local disk first. */
export function listProviders(
  storage: Storage,
  definitions: ReadonlyMap<string, AnyDriverDefinition>,
): AdminProvider[] {
  return storage.registry.providers().map((view) => adminProvider(view, definitions.get(view.name)));
}

/** The provider called `name`; 404 when the registry knows none by that name. */
export function findProvider(
  storage: Storage,
  definitions: ReadonlyMap<string, AnyDriverDefinition>,
  name: string,
): AdminProvider {
  const view = storage.registry.providers().find((candidate) => candidate.name === name);
  if (!view) throw new HttpProblem(404, ['there is no storage provider by this name']);
  return adminProvider(view, definitions.get(name));
}

/** A provider as the JSON API returns it: the redacted view plus its fields. */
export function providerJson(provider: AdminProvider): Record<string, unknown> {
  return { ...provider.view, fields: provider.fields };
}
