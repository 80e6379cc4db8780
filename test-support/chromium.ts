/**
 * Headless Chromium for the browser tests: Debian's `chromium` package
 * (`/usr/bin/chromium`, installed by scripts/lib/test-servers.sh when missing)
 * driven by playwright-core. playwright-core never downloads a browser of its
 * own; it only talks to the one named here. Every launch gets a fresh
 * user-data folder, removed on close, so no profile state leaks between tests.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * The flags that work on the test machines: headless, no sandbox (CI runs as
 * root, where Chromium's sandbox refuses to start), no GPU, no QUIC, and none
 * of the background traffic a first run or an update check would cause.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Screenshots and other files tests leave for people to look at (gitignored). */
const TEST_ARTEFACTS_DIR = fileURLToPath(new URL('../test-artefacts/', import.meta.url));

/** The path of artefact `name` under test-artefacts/, its folder made. */
export async function artefactPath(name: string): Promise<string> {
  await mkdir(TEST_ARTEFACTS_DIR, { recursive: true });
  return join(TEST_ARTEFACTS_DIR, name);
}

/** A running browser: open pages with `context.newPage()`; `close()` stops it and removes its profile. */
export interface LaunchedChromium {
  readonly context: BrowserContext;
  readonly userDataDir: string;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile. The browser is
 * `STOWAGE_CHROMIUM_BIN`, else /usr/bin/chromium.
 */
export async function launchChromium(options: { executablePath?: string } = {}): Promise<LaunchedChromium> {
  const executablePath = options.executablePath ?? (process.env.STOWAGE_CHROMIUM_BIN || DEFAULT_CHROMIUM);
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: ./scripts/test installs Debian's chromium package, or set STOWAGE_CHROMIUM_BIN`,
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'stowage-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      timeout: 60_000,
    });
    return {
      context,
      userDataDir,
      async close() {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    throw error;
  }
}
