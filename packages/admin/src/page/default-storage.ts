/**
 * The Default Storage selector: local disk and every enabled provider. The
 * words say what switching does and does not do, as the R2 plugin guide does.
 */
import { LOCAL_BACKEND } from '@stowage/storage-core';
import { type Html, html } from '../html.js';
import type { PageState } from './page-state.js';

/** The Default Storage section. */
export function defaultStorageSection(state: PageState): Html {
  const choices = state.providers.filter((provider) => provider.view.enabled || provider.view.name === LOCAL_BACKEND);
  const fallback = state.active.fallbackReason;
  const labelOf = (name: string) => state.providers.find((provider) => provider.view.name === name)?.view.label ?? name;
  return html`<section class="panel" id="default-storage">
    <h2>Default Storage</h2>
    <p>New results go to the Default Storage. Switching it never moves, copies or deletes anything already stored: those files keep serving from where they are.</p>
    ${
      fallback
        ? html`<div class="notice warn" role="alert"><strong>${labelOf(state.defaultBackend)} is the Default Storage but cannot be used, so new results stay on ${labelOf(LOCAL_BACKEND)}.</strong><p>${fallback}</p></div>`
        : ''
    }
    <form method="post" action="${state.basePath}/default" class="actions">
      <input type="hidden" name="_csrf" value="${state.csrfToken}">
      <label for="default-storage-name"><b>Default Storage</b></label>
      <select id="default-storage-name" name="name">
        ${choices.map(
          (provider) =>
            html`<option value="${provider.view.name}"${provider.view.name === state.defaultBackend ? html` selected` : ''}>${provider.view.label}</option>`,
        )}
      </select>
      <button type="submit" class="primary">Use as Default Storage</button>
    </form>
    <p class="help">Only enabled providers are listed: enable one below to add it here.</p>
  </section>`;
}
