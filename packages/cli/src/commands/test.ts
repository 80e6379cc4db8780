/**
 * `stowage test <provider>`: "test connection" on the stored settings. The
 * probe writes, reads back, compares and deletes a tiny object and says which
 * step failed and why (bad credentials, missing bucket, unreachable endpoint...).
 */
import type { ProbeReport } from '@stowage/storage-core';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { knownProvider } from './providers.js';

/** The probe report as `--json` shows it (it never holds a secret). */
export function probeJson(report: ProbeReport): Record<string, unknown> {
  return {
    ok: report.ok,
    driver: report.driver,
    steps: report.steps,
    ...(report.failedStep ? { failedStep: report.failedStep } : {}),
    ...(report.code ? { code: report.code } : {}),
    message: report.message,
    warnings: report.warnings ?? [],
  };
}

/** Human lines for a probe report. */
export function probeLines(name: string, report: ProbeReport): string[] {
  return [
    `test connection ${name}: ${report.ok ? 'ok' : `FAILED at ${report.failedStep ?? '?'} (${report.code ?? 'error'})`}`,
    `  ${report.message}`,
    ...report.steps.map((step) => `  ${step.ok ? 'ok  ' : 'FAIL'} ${step.step} (${step.durationMs} ms)`),
    ...(report.warnings ?? []).map((warning) => `  warning ${warning.code}: ${warning.message}`),
  ];
}

/** Runs `test`. */
export async function runTest(context: CommandContext, name: string): Promise<ExitCodeValue> {
  // Before the storage opens: an unknown name is a usage error that changes nothing (opening makes the catalog).
  await knownProvider(name);
  return context.withStorage(async ({ storage }) => {
    const report = await storage.registry.testConnection(name);
    context.output.result({ ok: report.ok, provider: name, test: probeJson(report) });
    context.output.lines(probeLines(name, report));
    return report.ok ? ExitCode.Ok : ExitCode.Failure;
  });
}
