/**
 * Runs the built `stowage` binary as a child process, as an operator would,
 * in a fresh folder with its own config file, results disk and catalog.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built executable the package's `bin` points to. */
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A test app key (the config's appKeyEnv names STOWAGE_TEST_APP_KEY). */
export const APP_KEY = 'cli-test-app-key-0123456789abcdefghijklmnopqrstuv';

/** What one run of the binary gave. */
interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A folder with a config, a results disk and a way to run the binary in it. */
export interface CliWorld {
  readonly dir: string;
  readonly results: string;
  readonly configFile: string;
  readonly settingsFile: string;
  /** Runs `stowage ...args` in the world's folder. */
  run(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  /** Runs with `--json` and parses stdout. */
  json<T = Record<string, unknown>>(
    args: readonly string[],
    options?: { env?: NodeJS.ProcessEnv },
  ): Promise<{ code: number | null; body: T; stderr: string }>;
  /** Writes a result file of `size` bytes (deterministic content) on the results disk. */
  addResult(path: string, size: number): Promise<void>;
  remove(): Promise<void>;
}

/** Throws at once when the package was not built, rather than failing every test obscurely. */
function requireBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`build first (pnpm build): missing ${BIN}`);
}

/** Makes a world; `config` overrides fields of the default config file. */
export async function createCliWorld(config: Record<string, unknown> = {}): Promise<CliWorld> {
  requireBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'stowage-cli-'));
  const results = join(dir, 'results');
  await mkdir(results, { recursive: true });
  const configFile = join(dir, 'stowage.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      settingsFile: 'data/settings.json',
      results: { dir: 'results' },
      appKeyEnv: 'STOWAGE_TEST_APP_KEY',
      ...config,
    }),
  );
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, STOWAGE_TEST_APP_KEY: APP_KEY };
  const run = (args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { cwd: dir, env: { ...baseEnv, ...options.env }, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') return reject(error);
          resolve({ code: child.exitCode, stdout, stderr });
        },
      );
      child.stdin?.end(options.input ?? '');
    });
  return {
    dir,
    results,
    configFile,
    settingsFile: join(dir, 'data/settings.json'),
    run,
    async json(args, options) {
      const result = await run([...args, '--json'], options);
      let body: unknown;
      try {
        body = JSON.parse(result.stdout);
      } catch {
        throw new Error(
          `stdout of "stowage ${args.join(' ')} --json" is not JSON:\n${result.stdout}\n${result.stderr}`,
        );
      }
      return { code: result.code, body: body as never, stderr: result.stderr };
    },
    async addResult(path, size) {
      const file = join(results, path);
      await mkdir(dirname(file), { recursive: true });
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + path.length) & 0xff;
      await writeFile(file, bytes);
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `stowage ...args` and hands back the child, for commands that run until stopped (the worker). */
export function startCli(world: CliWorld, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: world.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? world.dir, STOWAGE_TEST_APP_KEY: APP_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Strips terminal escape sequences (colours, cursor moves) from what a pseudo-terminal recorded. */
function plainText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are control characters
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\r/g, '');
}

/**
 * Runs `stowage ...args` on a pseudo-terminal made by `script` (util-linux),
 * as on an operator's terminal; `answer` is typed once `when` shows on the
 * screen. Returns the exit code and the screen as plain text.
 */
export async function onTerminal(
  world: CliWorld,
  args: readonly string[],
  answer?: { when: string; type: string },
  env: NodeJS.ProcessEnv = {},
) {
  const command = [process.execPath, BIN, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd: world.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: world.dir,
      TERM: 'xterm-256color',
      STOWAGE_TEST_APP_KEY: APP_KEY,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let typed = false;
  const collect = (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    if (answer && !typed && plainText(screen).includes(answer.when)) {
      typed = true;
      child.stdin.write(answer.type);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code] = await once(child, 'exit');
  child.stdin.end();
  return { code: code as number, screen: plainText(screen) };
}
