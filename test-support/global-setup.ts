/**
 * vitest global setup of the integration project: one S3 test server, one
 * toxiproxy and one Postgres for the whole run, handed to every test file as
 * `inject('s3')`, `inject('toxiproxy')` and `inject('postgres')`.
 * Imports the helpers from source so the run never depends on a stale build.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, startS3TestServer, startToxiproxy } from '../packages/testing/src/index.js';

const log = (line: string) => console.log(`[stowage] ${line}`);

/** Starts the shared servers; the returned function stops them after the last test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([startS3TestServer(), startToxiproxy(), startPostgres({ log })]);
  const [s3, toxiproxy, postgres] = started;
  if (s3.status === 'rejected' || toxiproxy.status === 'rejected' || postgres.status === 'rejected') {
    // Stop whichever did start, so a failed setup leaves no server running.
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const { info } = s3.value;
  log(`S3 test server: ${info.source} at ${info.endpoint}; toxiproxy API at ${toxiproxy.value.apiUrl}`);
  log(`Postgres ${postgres.value.info.version ?? '(from STOWAGE_TEST_POSTGRES_URL)'}: ${postgres.value.info.source}`);
  project.provide('s3', info);
  project.provide('toxiproxy', { apiUrl: toxiproxy.value.apiUrl });
  project.provide('postgres', postgres.value.info);
  return async () => {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  };
}
