/** The results section: catalog counts by state and by target, work in flight, recent failures. */
import { RESULT_STATES, type ResultState } from '@stowage/storage-core';
import { type Html, html } from '../html.js';
import type { PageState } from './page-state.js';

const STATE_LABELS: Readonly<Record<ResultState, string>> = {
  local: 'On local disk (by choice)',
  pending: 'Waiting for a retry',
  blocked: 'Blocked until settings are fixed',
  offloaded: 'Offloaded',
  'given-up': 'Given up',
  missing: 'Missing',
  deleted: 'Deleted',
};

/** Bytes in the unit a person reads, e.g. "1.5 MiB". */
function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The results section. */
export function statsSection(state: PageState): Html {
  const { stats } = state;
  if (stats.counts === undefined) {
    return html`<section class="panel" id="stats"><h2>Results</h2><p>${stats.reason}</p></section>`;
  }
  const counts = stats.counts;
  return html`<section class="panel" id="stats">
    <h2>Results</h2>
    <div class="stats-grid">
      <div>
        <table aria-label="Results by state">
          <thead><tr><th>State</th><th class="number">Results</th></tr></thead>
          <tbody>
            ${RESULT_STATES.map(
              (name) =>
                html`<tr data-state="${name}"><td>${STATE_LABELS[name]}</td><td class="number">${counts.byState[name]}</td></tr>`,
            )}
            <tr><th>All</th><th class="number">${counts.total}</th></tr>
          </tbody>
        </table>
        <p class="help">${counts.inFlight} being worked on right now.</p>
      </div>
      <div>
        <table aria-label="Results by target">
          <thead><tr><th>Target</th><th class="number">Results</th><th class="number">Size</th></tr></thead>
          <tbody>
            ${
              counts.byTarget.length === 0
                ? html`<tr><td colspan="3">No results yet.</td></tr>`
                : counts.byTarget.map(
                    (target) =>
                      html`<tr data-target="${target.targetId}"><td><code>${target.targetId}</code></td><td class="number">${target.results}</td><td class="number">${formatBytes(target.bytes)}</td></tr>`,
                  )
            }
          </tbody>
        </table>
        ${
          counts.recentFailures.length > 0
            ? html`<p><b>Failures in the last 24 hours</b></p><ul>${counts.recentFailures.map(
                (failure) => html`<li><code>${failure.code}</code>: ${failure.count}</li>`,
              )}</ul>`
            : html`<p class="help">No failures in the last 24 hours.</p>`
        }
      </div>
    </div>
  </section>`;
}
