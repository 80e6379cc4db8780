/**
 * vitest global setup of the integration project: one S3 test server and one
 * Postgres for the whole run, handed to every test file as `inject('s3')` and
 * `inject('postgres')`. Files that inject network faults start a toxiproxy of
 * their own (file-toxiproxy.ts). Imports the helpers from source so the run
 * never depends on a stale build.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, startS3TestServer } from '../packages/testing/src/index.js';

const log = (line: string) => console.log(`[stowage] ${line}`);

/** Starts the shared servers; the returned function stops them after the last test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([startS3TestServer(), startPostgres({ log })]);
  const [s3, postgres] = started;
  if (s3.status === 'rejected' || postgres.status === 'rejected') {
    // Stop whichever did start, so a failed setup leaves no server running.
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const { info } = s3.value;
  log(`S3 test server: ${info.source} at ${info.endpoint}`);
  log(`Postgres ${postgres.value.info.version ?? '(from STOWAGE_TEST_POSTGRES_URL)'}: ${postgres.value.info.source}`);
  project.provide('s3', info);
  project.provide('postgres', postgres.value.info);
  return async () => {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  };
}
