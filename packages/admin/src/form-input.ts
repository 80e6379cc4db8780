/**
 * A submitted settings form, read into the settings the registry saves. Only
 * the provider's declared fields are read, each by its kind: blank text
 * clears the field, a blank secret keeps the stored one, an unchecked box is
 * off, a blank key template means the relative path. Settings the form does not show (tuning the app set in code) are kept
 * as stored. Problems name the field, never the value typed.
 */
import { DEFAULT_KEY_TEMPLATE, type InputSettingsField, type SettingsField } from '@stowage/storage-core';
import type { AdminProvider } from './providers.js';

/** The registry's own per-provider flag, shown on every provider's form. */
export const DELETE_LOCAL_FIELD = 'deleteLocal';

/** The registry's own per-provider key template (see storage-core's key-template.ts), shown on every provider's form. */
export const KEY_TEMPLATE_FIELD = 'keyTemplate';

/** How the key template field shows: PicGo's "File Path", blank for the relative path. */
export const KEY_TEMPLATE_SETTINGS_FIELD: InputSettingsField = {
  name: KEY_TEMPLATE_FIELD,
  label: 'File Path (key template)',
  help: `How new objects are named in the bucket, after the key prefix. Tokens: {year} {month} {day} {timestamp} {fileName} {extName} {uuid} {md5} {sha256} {hash8} {path}. Leave blank to keep each result's relative path (${DEFAULT_KEY_TEMPLATE}). Objects already stored keep their keys.`,
  required: false,
  section: 'advanced',
  kind: 'text',
  placeholder: '{year}/{month}/{fileName}.{extName}',
};

/** What a form said: the settings to save and the problems found before saving. */
export interface FormSettings {
  readonly input: Record<string, unknown>;
  readonly problems: readonly string[];
}

function fieldValue(field: SettingsField, raw: string | null): { value: unknown; problem?: string } {
  const text = (raw ?? '').trim();
  switch (field.kind) {
    case 'boolean':
      return { value: raw !== null };
    case 'number': {
      if (text === '') return { value: undefined };
      const number = Number(text);
      return Number.isFinite(number) ? { value: number } : { value: undefined, problem: 'must be a number' };
    }
    case 'select':
      if (text === '') return { value: undefined };
      return field.options.some((option) => option.value === text)
        ? { value: text }
        : { value: undefined, problem: 'must be one of the listed choices' };
    default:
      return { value: text === '' ? undefined : text };
  }
}

/** Reads `form` into settings for `provider`, kept stored settings included. */
export function settingsFromForm(provider: AdminProvider, form: URLSearchParams): FormSettings {
  const input: Record<string, unknown> = { ...provider.view.settings };
  const problems: string[] = [];
  for (const field of provider.fields) {
    const { value, problem } = fieldValue(field, form.get(field.name));
    if (problem) problems.push(`${field.name}: ${problem}`);
    // Blank clears the field; for a secret, leaving it out makes the registry keep the stored one.
    if (value === undefined) delete input[field.name];
    else input[field.name] = value;
  }
  input[DELETE_LOCAL_FIELD] = form.get(DELETE_LOCAL_FIELD) !== null;
  // Blank goes back to the relative path; a form without the field keeps the stored template.
  const template = form.get(KEY_TEMPLATE_FIELD);
  if (template !== null) input[KEY_TEMPLATE_FIELD] = template.trim();
  return { input, problems };
}

/** The values a form showed, to fill it in again after a refusal; secrets are never among them. */
export function enteredValues(provider: AdminProvider, form: URLSearchParams): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of provider.fields) {
    if (field.kind === 'secret') continue;
    values[field.name] = field.kind === 'boolean' ? form.get(field.name) !== null : (form.get(field.name) ?? '');
  }
  values[DELETE_LOCAL_FIELD] = form.get(DELETE_LOCAL_FIELD) !== null;
  values[KEY_TEMPLATE_FIELD] = form.get(KEY_TEMPLATE_FIELD) ?? '';
  return values;
}
