/**
 * One settings field as a form row: label, input by kind, help text and the
 * problem found with it. A secret input is always empty; next to it the page
 * says whether a secret is stored and that a blank keeps it.
 */
import type { SettingsField } from '@stowage/storage-core';
import { type Html, html } from '../html.js';

/** What a row shows besides the field itself. */
export interface FieldRowState {
  /** The form's id prefix, unique per provider. */
  readonly idPrefix: string;
  /** The value to show (ignored for secrets). */
  readonly value: unknown;
  /** For secrets: whether one is stored. */
  readonly secretSet: boolean;
  readonly problems: readonly string[];
}

const INPUT_TYPES = { text: 'text', url: 'url', number: 'number', secret: 'password' } as const;

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function control(field: SettingsField, id: string, helpId: string, state: FieldRowState): Html {
  if (field.kind === 'boolean') {
    const checked = typeof state.value === 'boolean' ? state.value : field.default;
    return html`<input type="checkbox" id="${id}" name="${field.name}" aria-describedby="${helpId}"${checked ? html` checked` : ''}>`;
  }
  if (field.kind === 'select') {
    const current = text(state.value);
    return html`<select id="${id}" name="${field.name}" aria-describedby="${helpId}"${field.required ? html` required` : ''}>
      <option value="">${field.required ? 'Choose…' : 'Default'}</option>
      ${field.options.map(
        (option) =>
          html`<option value="${option.value}"${option.value === current ? html` selected` : ''}>${option.label}</option>`,
      )}
    </select>`;
  }
  if (field.kind === 'secret') {
    const placeholder = state.secretSet ? 'leave blank to keep' : field.placeholder;
    const required = field.required && !state.secretSet;
    return html`<input type="password" id="${id}" name="${field.name}" value="" autocomplete="new-password"
      placeholder="${placeholder}" aria-describedby="${helpId}"${required ? html` required` : ''}>
      <span class="secret-state" data-secret-set="${String(state.secretSet)}">${
        state.secretSet ? 'A secret is stored.' : 'No secret stored yet.'
      }</span>`;
  }
  return html`<input type="${INPUT_TYPES[field.kind]}" id="${id}" name="${field.name}" value="${text(state.value)}"
    placeholder="${field.placeholder}" aria-describedby="${helpId}"${field.kind === 'number' ? html` step="1"` : ''}${
      field.required ? html` required` : ''
    }>`;
}

/** The row of `field`. */
export function fieldRow(field: SettingsField, state: FieldRowState): Html {
  const id = `${state.idPrefix}-${field.name}`;
  const helpId = `${id}-help`;
  return html`<div class="field${field.kind === 'boolean' ? ' check' : ''}">
    <label for="${id}">${field.label}${field.required ? html` <span class="required" aria-hidden="true">*</span>` : ''}</label>
    <div class="control">
      ${control(field, id, helpId, state)}
      <p class="help" id="${helpId}">${field.help}</p>
      ${state.problems.map((problem) => html`<p class="problem">${problem}</p>`)}
    </div>
  </div>`;
}
