/**
 * A script whose only pending work is a retry backoff must wait for it. With an
 * unref'd backoff timer Node exits mid-operation: the promise never settles and
 * the script ends with code 0 as if it had succeeded. Runs the built driver in a
 * child process, the way a CLI or migration script would.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort } from '@stowage/testing';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

it('settles an operation that is between retries before the process may exit', async () => {
  const closedPort = await findFreePort(); // nothing listens there: every attempt is refused
  const script = `
    import { createS3Driver } from ${JSON.stringify(dist)};
    const driver = createS3Driver({
      provider: 'minio', endpoint: 'http://127.0.0.1:${closedPort}', bucket: 'media',
      accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'not-a-real-secret', retries: 2, retryDelayMs: 300,
    });
    driver.exists('a.png').then(
      () => console.log('resolved'),
      (error) => console.log('rejected', error.code),
    );`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
  expect(stdout.trim()).toBe('rejected UNAVAILABLE');
});
