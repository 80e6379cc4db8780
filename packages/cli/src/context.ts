/**
 * What every command runs with: the output, the environment, the config
 * (read only when a command needs it) and a storage opened for the command
 * and closed after it, whatever happens.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '@stowage/storage-core';
import { loadConfig, type ResolvedConfig } from './config.js';
import { type OpenedStorage, openStorage } from './open-storage.js';
import type { Output } from './output.js';

/** The process around one run; tests pass their own streams and environment. */
export interface CliIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** One command's view of the run. */
export interface CommandContext {
  readonly output: Output;
  readonly io: CliIo;
  readonly verbose: boolean;
  /** The config file, read and checked on first use. */
  config(): Promise<ResolvedConfig>;
  /** Runs `work` with the config's storage open, closing it afterwards. */
  withStorage<T>(work: (opened: OpenedStorage) => Promise<T>): Promise<T>;
}

/** Builds a command's context from the global options. */
export function commandContext(
  io: CliIo,
  output: Output,
  globals: { readonly config?: string; readonly verbose?: boolean },
): CommandContext {
  let config: Promise<ResolvedConfig> | undefined;
  const verbose = globals.verbose === true;
  const context: CommandContext = {
    output,
    io,
    verbose,
    config() {
      config ??= loadConfig(globals.config, io.cwd, io.env);
      return config;
    },
    async withStorage(work) {
      const opened = await openStorage(await context.config(), stderrLogger(output, verbose));
      try {
        return await work(opened);
      } finally {
        await opened.close();
      }
    },
  };
  return context;
}

/**
 * The library's log lines on stderr: errors always, warnings and info with
 * --verbose. The library never puts a secret in a log line.
 */
function stderrLogger(output: Output, verbose: boolean): Logger {
  const write = (level: string) => (facts: Record<string, unknown>, message: string) => {
    const line = output.json
      ? JSON.stringify({ level, message, ...facts })
      : `stowage ${level}: ${message}${Object.keys(facts).length > 0 ? ` ${JSON.stringify(facts)}` : ''}`;
    output.stderr.write(`${line}\n`);
  };
  const quiet = () => undefined;
  return { info: verbose ? write('info') : quiet, warn: verbose ? write('warn') : quiet, error: write('error') };
}
