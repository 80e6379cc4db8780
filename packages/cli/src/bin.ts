#!/usr/bin/env node
/** The `stowage` executable: runs the CLI on this process and exits with its code. */
import module from 'node:module';

// Every command loads the AWS SDK: caching its compiled code makes later runs start faster.
module.enableCompileCache?.();
const { runCli } = await import('./index.js');

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
// Let stdout drain (a pipe may still hold the JSON), then exit: handles such as a prompt's stdin must not keep the process.
process.stdout.write('', () => process.exit(code));
