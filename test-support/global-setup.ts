/**
 * vitest global setup: one S3 test server and one toxiproxy for the whole run,
 * handed to every test file as `inject('s3')` and `inject('toxiproxy')`.
 * Imports the helpers from source so the run never depends on a stale build.
 */
import type { TestProject } from 'vitest/node';
import { startS3TestServer, startToxiproxy } from '../packages/testing/src/index.js';

/** Starts the shared servers; the returned function stops them after the last test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [s3, toxiproxy] = await Promise.allSettled([startS3TestServer(), startToxiproxy()]);
  if (s3.status === 'rejected' || toxiproxy.status === 'rejected') {
    // Stop whichever did start, so a failed setup leaves no server running.
    await Promise.all([s3, toxiproxy].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw s3.status === 'rejected' ? s3.reason : (toxiproxy as PromiseRejectedResult).reason;
  }
  const { info } = s3.value;
  console.log(
    `[stowage] S3 test server: ${info.source} at ${info.endpoint}; toxiproxy API at ${toxiproxy.value.apiUrl}`,
  );
  project.provide('s3', info);
  project.provide('toxiproxy', { apiUrl: toxiproxy.value.apiUrl });
  return async () => {
    await Promise.all([s3.value.stop(), toxiproxy.value.stop()]);
  };
}
