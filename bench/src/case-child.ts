/**
 * Child-process entry point: reads one case from the environment, runs it and
 * prints the result as one marked JSON line. A failure exits non-zero with the
 * error on stderr, which the orchestrator reports.
 */
import { type BenchCase, CASE_ENV, RESULT_MARKER, type ServerTarget } from './case-spec.js';
import { runCase } from './run-case.js';

const raw = process.env[CASE_ENV];
if (!raw) {
  process.stderr.write(`case-child: ${CASE_ENV} is not set; this file is started by the benchmark, not by hand\n`);
  process.exit(2);
}
const { spec, target } = JSON.parse(raw) as { spec: BenchCase; target: ServerTarget };
try {
  const result = await runCase(spec, target);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`case-child: ${spec.kind}/${spec.side} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}
