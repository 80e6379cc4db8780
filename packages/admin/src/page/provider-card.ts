/**
 * One provider on the settings page, laid out as the R2 plugin guide's
 * screen: General (Enable, Delete local copy after upload), the connection
 * fields, Advanced, then Save and "Test connection" (which saves, then tests).
 * Local disk, which the app configures, shows its folder and a test button.
 */
import { LOCAL_BACKEND, type SettingsField, type SettingsSection } from '@stowage/storage-core';
import { DELETE_LOCAL_FIELD, KEY_TEMPLATE_FIELD, KEY_TEMPLATE_SETTINGS_FIELD } from '../form-input.js';
import { type Html, html } from '../html.js';
import type { AdminProvider } from '../providers.js';
import type { PageState, ProviderOutcome } from './page-state.js';
import { probeReportBlock } from './probe-report.js';
import { fieldRow } from './settings-form-field.js';

const SECTION_LEGENDS: Readonly<Record<SettingsSection, string>> = {
  connection: 'Connection',
  advanced: 'Advanced',
};

/** The path of a provider's form actions, e.g. "/admin/providers/r2/test". */
function providerPath(basePath: string, name: string, action?: string): string {
  return `${basePath}/providers/${encodeURIComponent(name)}${action ? `/${action}` : ''}`;
}

function csrfInput(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

function badges(provider: AdminProvider): Html {
  const { view } = provider;
  return html`<span class="badges">
    ${view.isDefault ? html`<span class="badge default">Default</span>` : ''}
    ${view.enabled ? html`<span class="badge on">Enabled</span>` : html`<span class="badge off">Not enabled</span>`}
    ${view.configured ? '' : html`<span class="badge off">Not configured</span>`}
    ${view.problems.length > 0 ? html`<span class="badge bad">Needs attention</span>` : ''}
  </span>`;
}

function outcomeBlock(provider: AdminProvider, outcome: ProviderOutcome | undefined): Html {
  const label = provider.view.label;
  switch (outcome?.kind) {
    case 'saved':
      return html`<div class="notice ok" role="status"><strong>Settings saved.</strong></div>`;
    case 'tested':
      return probeReportBlock(outcome.report);
    case 'enabled':
      return html`<div class="notice ok" role="status"><strong>${label} is enabled.</strong>
        <p>It can now be chosen as the Default Storage below.</p></div>`;
    case 'disabled':
      return html`<div class="notice ok" role="status"><strong>${label} is disabled.</strong>
        <p>New results no longer go there; files already stored keep serving from it.</p></div>`;
    case 'refused':
      return html`<div class="notice bad" role="alert"><strong>Not saved: please fix the following.</strong><ul>
        ${outcome.problems.map((problem) => html`<li>${labelled(provider.fields, problem)}</li>`)}
      </ul></div>`;
    default:
      return html``;
  }
}

/** "bucket: required" reads "Bucket: required" on the page. */
function labelled(fields: readonly SettingsField[], problem: string): string {
  const field = [...fields, KEY_TEMPLATE_SETTINGS_FIELD].find((candidate) => problem.startsWith(`${candidate.name}: `));
  return field ? `${field.label}: ${problem.slice(field.name.length + 2)}` : problem;
}

function problemsOf(name: string, outcome: ProviderOutcome | undefined): string[] {
  if (outcome?.kind !== 'refused') return [];
  return outcome.problems
    .filter((problem) => problem.startsWith(`${name}: `))
    .map((problem) => problem.slice(name.length + 2));
}

function enableBlock(state: PageState, provider: AdminProvider): Html {
  const { view } = provider;
  if (view.enabled) {
    return html`<div class="general">
      <form method="post" action="${providerPath(state.basePath, view.name, 'disable')}">
        ${csrfInput(state.csrfToken)}<button type="submit">Disable ${view.label}</button>
      </form>
      <p class="help">New results stop going here (if it is the Default Storage, Local disk takes over). Files already stored keep serving from it.</p>
    </div>`;
  }
  return html`<div class="general">
    <form method="post" action="${providerPath(state.basePath, view.name, 'enable')}">
      ${csrfInput(state.csrfToken)}<button type="submit"${view.configured ? '' : html` disabled`}>Enable ${view.label}</button>
    </form>
    <p class="help">Makes ${view.label} a selectable option in the Default Storage list once its settings are complete${
      view.configured ? '' : ' (save them first)'
    }. It does not send new results here by itself: you still choose the Default Storage.</p>
  </div>`;
}

function settingsForm(state: PageState, provider: AdminProvider, outcome: ProviderOutcome | undefined): Html {
  const { view } = provider;
  const entered = outcome?.kind === 'refused' ? outcome.entered : undefined;
  const shownValue = (name: string) => (entered ? entered[name] : view.settings[name]);
  const idPrefix = `p-${view.name}`;
  const section = (which: SettingsSection) => {
    const fields = provider.fields.filter((field) => field.section === which);
    if (fields.length === 0) return html``;
    return html`<fieldset><legend>${SECTION_LEGENDS[which]}</legend>
      ${fields.map((field) =>
        fieldRow(field, {
          idPrefix,
          value: shownValue(field.name),
          secretSet: view.secrets[field.name]?.set ?? false,
          problems: problemsOf(field.name, outcome),
        }),
      )}
    </fieldset>`;
  };
  const deleteLocal = entered ? entered[DELETE_LOCAL_FIELD] === true : view.deleteLocal;
  return html`<form method="post" action="${providerPath(state.basePath, view.name)}" class="settings">
    ${csrfInput(state.csrfToken)}
    <div class="field check">
      <label for="${idPrefix}-${DELETE_LOCAL_FIELD}">Delete local copy after upload</label>
      <div class="control">
        <input type="checkbox" id="${idPrefix}-${DELETE_LOCAL_FIELD}" name="${DELETE_LOCAL_FIELD}"${deleteLocal ? html` checked` : ''}>
        <p class="help">When on, the local file is removed once it is safely stored in ${view.label} (verified), reclaiming disk space. Leave off to keep a local backup of every result.</p>
      </div>
    </div>
    ${section('connection')}
    ${section('advanced')}
    ${fieldRow(KEY_TEMPLATE_SETTINGS_FIELD, {
      idPrefix,
      value: entered ? entered[KEY_TEMPLATE_FIELD] : (view.keyTemplate ?? ''),
      secretSet: false,
      problems: problemsOf(KEY_TEMPLATE_FIELD, outcome),
    })}
    <div class="actions">
      <button type="submit" class="primary">Save</button>
      <button type="submit" formaction="${providerPath(state.basePath, view.name, 'test')}" data-busy-label="Testing connection…">Test connection</button>
    </div>
    <p class="help">Test connection saves these settings, then uploads, reads back and deletes a tiny probe object, and says which step failed and why.</p>
  </form>`;
}

function localBody(state: PageState, provider: AdminProvider): Html {
  const root = provider.view.settings.root;
  return html`<p>The results disk${root ? html` at <code>${String(root)}</code>` : ''}, configured by the app. It is always enabled and the safe default: when the chosen default cannot be used, new results stay here.</p>
    <form method="post" action="${providerPath(state.basePath, provider.view.name, 'test')}">
      ${csrfInput(state.csrfToken)}
      <div class="actions"><button type="submit" data-busy-label="Testing connection…">Test connection</button></div>
    </form>`;
}

/** The card of one provider. */
export function providerCard(state: PageState, provider: AdminProvider): Html {
  const { view } = provider;
  const outcome = state.focus?.provider === view.name ? state.focus.outcome : undefined;
  const open = view.configured || outcome !== undefined;
  let body: Html;
  if (view.name === LOCAL_BACKEND) body = localBody(state, provider);
  else if (!provider.editable) {
    body = html`<p>No settings form: the admin handler was not given the driver definition of "${view.name}" (pass it in <code>definitions</code>).</p>
      ${enableBlock(state, provider)}`;
  } else {
    body = html`<h3>General</h3>${enableBlock(state, provider)}${settingsForm(state, provider, outcome)}`;
  }
  return html`<article class="provider" id="provider-${view.name}" data-provider="${view.name}">
    <details${open ? html` open` : ''}>
      <summary><h2>${view.label}</h2>${badges(provider)}</summary>
      <div class="provider-body">
        ${outcomeBlock(provider, outcome)}
        ${
          view.problems.length > 0
            ? html`<div class="notice warn"><strong>The stored settings cannot be used right now.</strong><ul>
                ${view.problems.map((problem) => html`<li>${problem}</li>`)}
              </ul></div>`
            : ''
        }
        ${body}
      </div>
    </details>
  </article>`;
}
