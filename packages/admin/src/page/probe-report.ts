/**
 * A "Test connection" report as an admin reads it: green when every step
 * passed; otherwise red with the step that failed, the advice and the
 * provider's own words (the report's message), and the steps that ran.
 * Warnings (advice that did not fail the test) follow in yellow.
 */
import type { ProbeReport, ProbeStep } from '@stowage/storage-core';
import { type Html, html } from '../html.js';

const STEP_LABELS: Readonly<Record<ProbeStep, string>> = {
  configure: 'Check the settings',
  connect: 'Reach the bucket',
  write: 'Upload a probe object',
  read: 'Read it back',
  compare: 'Compare the bytes',
  'public-url': 'Fetch it through the public URL',
  delete: 'Delete it',
};

const NETWORK_STEPS: readonly ProbeStep[] = ['connect', 'write', 'read', 'compare', 'public-url', 'delete'];

function stepList(report: ProbeReport): Html {
  const ran = new Map(report.steps.map((step) => [step.step, step]));
  // Drivers without a connect step (local folders) never show one; the steps after a failure show as not run.
  // Nor does a backend without a public URL show that step.
  const network = NETWORK_STEPS.filter((step) => (step !== 'connect' && step !== 'public-url') || ran.has(step));
  const shown = ran.has('configure') ? ['configure' as const, ...network] : network;
  return html`<ol class="steps" aria-label="Steps">
    ${shown.map((step) => {
      const result = ran.get(step);
      if (!result) return html`<li class="skipped">${STEP_LABELS[step]}: not run</li>`;
      return html`<li>${result.ok ? '✓' : '✗'} ${STEP_LABELS[step]} (${result.durationMs} ms)</li>`;
    })}
  </ol>`;
}

/** The report as a notice block. */
export function probeReportBlock(report: ProbeReport): Html {
  const warnings = report.warnings ?? [];
  const warningBlock =
    warnings.length > 0
      ? html`<div class="notice warn" role="status"><strong>Warnings</strong><ul>
          ${warnings.map((warning) => html`<li>${warning.message}</li>`)}
        </ul></div>`
      : html``;
  if (report.ok) {
    return html`<div class="notice ok probe-report" role="status" data-ok="true">
      <strong>Connection OK</strong>
      <p>${report.message}</p>
      ${stepList(report)}
    </div>${warningBlock}`;
  }
  const failed = report.failedStep ? STEP_LABELS[report.failedStep] : undefined;
  return html`<div class="notice bad probe-report" role="alert" data-ok="false">
    <strong>Connection failed</strong>
    ${failed ? html`<p>Failed step: <b>${failed}</b>${report.code ? html` (<code>${report.code}</code>)` : ''}</p>` : ''}
    <p class="probe-message">${report.message}</p>
    ${stepList(report)}
  </div>${warningBlock}`;
}
