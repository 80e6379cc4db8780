/**
 * The browser the page tests will use really runs here: headless Chromium
 * loads a page from a server on 127.0.0.1, a click runs the page's script,
 * which asks the server and writes the answer into the DOM.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artefactPath, type LaunchedChromium, launchChromium } from '../test-support/chromium.js';

const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Stowage browser smoke test</title></head>
  <body>
    <h1>Offload</h1>
    <button type="button" id="go">Offload now</button>
    <p id="status">waiting</p>
    <script>
      document.getElementById('go').addEventListener('click', async () => {
        localStorage.setItem('clicked', 'yes');
        const response = await fetch('/api/offload', { method: 'POST' });
        document.getElementById('status').textContent = (await response.json()).message;
      });
    </script>
  </body>
</html>`;

let server: Server;
let origin: string;
let browser: LaunchedChromium;
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    calls.push(`${request.method} ${request.url}`);
    if (request.method === 'POST' && request.url === '/api/offload') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'offloaded 3 of 3' }));
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('headless Chromium', () => {
  it('loads a page from 127.0.0.1, runs its script on a click, and shows the answer in the DOM', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    expect(await page.title()).toBe('Stowage browser smoke test');
    expect(await page.locator('#status').textContent()).toBe('waiting');

    await page.getByRole('button', { name: 'Offload now' }).click();
    await page.locator('#status', { hasText: 'offloaded 3 of 3' }).waitFor({ timeout: 10_000 });
    expect(calls).toContain('POST /api/offload');

    const screenshot = await artefactPath('browser-smoke.png');
    await rm(screenshot, { force: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = await readFile(screenshot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(1_000);
  });

  it('starts each launch with a fresh profile, removed on close', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    expect(await page.evaluate(() => localStorage.getItem('clicked'))).toBe('yes'); // from the click above

    const second = await launchChromium();
    try {
      expect(second.userDataDir).not.toBe(browser.userDataDir);
      const fresh = await second.context.newPage();
      await fresh.goto(`${origin}/`);
      expect(await fresh.evaluate(() => localStorage.getItem('clicked'))).toBeNull();
    } finally {
      await second.close();
    }
    expect(existsSync(second.userDataDir)).toBe(false);
  });
});
