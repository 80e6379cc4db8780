/**
 * Child-process entry point of the offload benchmark: reads one run from the
 * environment, runs it and prints the result as one marked JSON line. A
 * failure exits non-zero with the error on stderr, which the orchestrator
 * reports.
 */
import { RESULT_MARKER } from '../case-spec.js';
import { OFFLOAD_RUN_ENV, type OffloadRunSpec } from './run-spec.js';
import { runUploads } from './upload-run.js';

const raw = process.env[OFFLOAD_RUN_ENV];
if (!raw) {
  process.stderr.write(`offload child: ${OFFLOAD_RUN_ENV} is not set; this file is started by the benchmark\n`);
  process.exit(2);
}
const spec = JSON.parse(raw) as OffloadRunSpec;
try {
  const result = await runUploads(spec);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(
    `offload child: ${spec.contender.label} ${spec.dir} failed: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exitCode = 1;
}
