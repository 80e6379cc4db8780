/**
 * The README's admin handler example must work when pasted: its code block is
 * this example file, and the file serves the settings page to the admin's
 * session and 401 to everyone else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../admin-settings.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));

let child: ChildProcess | undefined;
let scratch: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill();
    await exited;
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Starts the example and resolves with the admin URL it prints. */
async function start(): Promise<string> {
  // The example makes its folder under TMPDIR; give it one this test removes.
  scratch = await mkdtemp(join(tmpdir(), 'stowage-admin-example-test-'));
  child = spawn(process.execPath, [example], {
    env: { ...process.env, PORT: '0', ADMIN_SESSION: 'example-admin-session', TMPDIR: scratch },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<string>((resolve, reject) => {
    let output = '';
    child?.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /admin at (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    child?.on('exit', (code) => reject(new Error(`the example exited (${code}) before listening: ${output}`)));
  });
}

it('is the code block in the README, word for word', async () => {
  const [code, text] = await Promise.all([readFile(example, 'utf8'), readFile(readme, 'utf8')]);
  expect(text).toContain(`\`\`\`js\n${code}\`\`\``);
});

it('serves the settings page to the admin’s session and 401 to anyone else', async () => {
  const url = await start();
  const refused = await fetch(url);
  expect(refused.status).toBe(401);
  const page = await fetch(url, { headers: { cookie: 'session=example-admin-session' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  const html = await page.text();
  expect(html).toContain('<h2>Cloudflare R2</h2>');
  expect(html).toContain('Secret Access Key');
  expect(await (await fetch(new URL('/', url))).text()).toBe('the rest of your app');
});
