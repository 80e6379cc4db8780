/**
 * The README's quick start must work when pasted: its code block is this
 * example file, and the file runs and does what it says.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../quickstart.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));

it('is the code block in the README, word for word', async () => {
  const [code, text] = await Promise.all([readFile(example, 'utf8'), readFile(readme, 'utf8')]);
  expect(text).toContain(`\`\`\`js\n${code}\`\`\``);
});

it('offloads a result to the default backend (local disk) and reads it back through its location', async () => {
  // The example makes its folder under TMPDIR; give it one this test removes.
  const scratch = await mkdtemp(join(tmpdir(), 'stowage-quickstart-test-'));
  try {
    const env = { ...process.env, R2_ACCOUNT_ID: '', TMPDIR: scratch };
    const { stdout } = await run(process.execPath, [example], { env, timeout: 60_000 });
    expect(stdout).toContain('local local:images/gemini/cat.png https://app.example/results/images/gemini/cat.png');
    expect(stdout).toContain('read 2048 bytes from local:images/gemini/cat.png');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
