/**
 * The settings page: a header saying where new results go, then its
 * sections in order. A new section (targets, when the registry has them) is
 * one more entry in SECTIONS.
 */
import { type Html, html } from '../html.js';
import { defaultStorageSection } from './default-storage.js';
import { pageDocument } from './layout.js';
import type { PageState } from './page-state.js';
import { providerCard } from './provider-card.js';
import { statsSection } from './stats.js';

/** The page title. */
const PAGE_TITLE = 'Storage settings';

function providersSection(state: PageState): Html {
  return html`<section id="providers">
    ${state.providers.map((provider) => providerCard(state, provider))}
  </section>`;
}

/** The sections of the page, top to bottom. */
const SECTIONS: readonly ((state: PageState) => Html)[] = [defaultStorageSection, providersSection, statsSection];

/** The whole settings page. */
export function settingsPage(state: PageState): Html {
  const labelOf = (name: string) => state.providers.find((provider) => provider.view.name === name)?.view.label ?? name;
  const notice = state.notice;
  return pageDocument(
    PAGE_TITLE,
    html`<header class="top">
      <h1>${PAGE_TITLE}</h1>
      <p>Default Storage: <b data-default="${state.defaultBackend}">${labelOf(state.defaultBackend)}</b>${
        state.active.name === state.defaultBackend ? '' : html` · new results go to ${labelOf(state.active.name)}`
      }</p>
      <nav><a href="#default-storage">Default Storage</a><a href="#providers">Providers</a><a href="#stats">Results</a></nav>
    </header>
    <main>
      ${
        notice
          ? html`<div class="notice ${notice.tone}" role="${notice.tone === 'ok' ? 'status' : 'alert'}" id="notice"><strong>${notice.title}</strong>${notice.lines.map(
              (line) => html`<p>${line}</p>`,
            )}</div>`
          : ''
      }
      ${SECTIONS.map((section) => section(state))}
    </main>`,
    state.nonce,
  );
}
