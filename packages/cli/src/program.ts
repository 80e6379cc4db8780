/**
 * The `stowage` command line (commander): global options, one subcommand per
 * operator task, and the mapping of every outcome to a documented exit code.
 * `runCli()` never calls process.exit: it returns the code, so tests and
 * embedding scripts can run it too.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { runMigrate } from './commands/migrate.js';
import { runOffload } from './commands/offload.js';
import { runProvidersList, runProvidersSet } from './commands/providers.js';
import { runReconcile } from './commands/reconcile.js';
import { runStats } from './commands/stats.js';
import { runStatus } from './commands/status.js';
import { runSweep } from './commands/sweep.js';
import { runSwitch, runUse } from './commands/switches.js';
import { runTest } from './commands/test.js';
import { runWorker } from './commands/worker.js';
import { type CliIo, type CommandContext, commandContext } from './context.js';
import { cliDefinitions } from './definitions.js';
import { describeError, ExitCode, type ExitCodeValue, exitCodeFor } from './exit-codes.js';
import { createOutput, type Output } from './output.js';
import { addSettingsOptions } from './settings-options.js';

/** This package's version, from its package.json (one level above src/ and dist/). */
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

type Action = (context: CommandContext, ...args: never[]) => Promise<ExitCodeValue>;

/** "--secret-access-key=abc" → "--secret-access-key=…": commander quotes unknown options, values included. */
function withoutOptionValues(message: string): string {
  return message.replace(/(-[^\s=']*)=[^\s']*/g, '$1=…');
}

/** Wraps a command's action: builds its context, runs it, records its exit code. */
type Runner = <A extends Action>(action: A) => (...args: unknown[]) => Promise<void>;

/** The settings and switch commands: status, providers, test, enable, disable, use. */
function registerAdminCommands(program: Command, run: Runner): void {
  program
    .command('status')
    .description('providers, the default, targets with result counts, catalog counts by state')
    .action(run((c) => runStatus(c)));

  const providers = program.command('providers').description('provider settings');
  providers
    .command('list')
    .description('every provider the CLI knows')
    .action(run((c) => runProvidersList(c)));
  const set = providers
    .command('set <name>')
    .description('save settings of a provider (secrets from --secret-from-env or --prompt-secret only)')
    .option('--test', 'test the connection right after saving')
    .action(run((c, name: string, options: Record<string, unknown>) => runProvidersSet(c, name, options)));
  // The field options need the driver definitions (and so the AWS SDK): added only when `set` is what runs.
  providers.hook('preSubcommand', async (_providers, subcommand) => {
    if (subcommand === set) addSettingsOptions(set, await cliDefinitions());
  });

  program
    .command('test <provider>')
    .description('test connection with the stored settings')
    .action(run((c, name: string) => runTest(c, name)));
  program
    .command('enable <provider>')
    .description('make a provider selectable')
    .action(run((c, name: string) => runSwitch(c, 'enable', name)));
  program
    .command('disable <provider>')
    .description('stop new results going to a provider (its objects keep serving)')
    .action(run((c, name: string) => runSwitch(c, 'disable', name)));
  program
    .command('use <provider>')
    .description('make a provider (or local) the default for new results')
    .action(run((c, name: string) => runUse(c, name)));
}

/** The commands that work on results: offload, migrate, reconcile, sweep, worker, stats. */
function registerWorkCommands(program: Command, run: Runner): void {
  program
    .command('offload <paths...>')
    .description('send results (files or folders on the results disk) to the default backend')
    .option('--dry-run', 'count what would be sent; send nothing')
    .action(run((c, paths: string[], options: { dryRun?: boolean }) => runOffload(c, paths, options)));

  program
    .command('migrate')
    .description('move stored results between providers or targets (resumable)')
    .requiredOption('--from <sources...>', 'providers or target ids to move from ("local" is the results disk)')
    .requiredOption('--to <destination>', 'the provider or target id to move to')
    .option('--prefix <pathPrefix>', 'only results whose path starts with this')
    .option('--delete-source', 'delete each source copy once its destination copy is verified and recorded')
    .option('--concurrency <n>', 'results moved at once (default 4)')
    .option('--bytes-per-second <n>', 'upper bound on the bytes read per second')
    .option('--dry-run', 'report what would move; touch nothing')
    .action(run((c, options: Parameters<typeof runMigrate>[1]) => runMigrate(c, options)));

  program
    .command('reconcile [target]')
    .description('compare a target (default: the default provider) with the catalog')
    .option('--fix', 'repair: delete old orphans, re-queue or mark missing results, abort old incomplete uploads')
    .option('--dry-run', 'with --fix: report only, change nothing')
    .option('--grace <duration>', 'how old an orphan must be before --fix deletes it (default 24h)')
    .option('--deep', 'also read and hash every recorded object')
    .option('--no-check-metadata', 'compare sizes only (no HEAD per object)')
    .option('--concurrency <n>', 'requests in flight (default 8)')
    .action(
      run((c, target: string | undefined, options: Parameters<typeof runReconcile>[2]) =>
        runReconcile(c, target, options),
      ),
    );

  program
    .command('sweep')
    .description('abort incomplete multipart uploads')
    .option('--target <target>', 'one provider or target id (default: every configured target)')
    .option('--older-than <duration>', 'only uploads started longer ago than this (default 24h)')
    .option('--dry-run', 'name the targets that would be swept; abort nothing')
    .action(run((c, options: Parameters<typeof runSweep>[1]) => runSweep(c, options)));

  program
    .command('worker')
    .description('run the re-offload worker until SIGINT or SIGTERM')
    .option('--concurrency <n>', 'results sent at once (default 2)')
    .option('--poll-interval <duration>', 'how often to look for due work (default 1s)')
    .option('--no-sweep', 'do not sweep incomplete uploads')
    .option('--no-reconcile-jobs', 'do not run queued reconcile jobs')
    .action(run((c, options: Parameters<typeof runWorker>[1]) => runWorker(c, options)));

  program
    .command('stats')
    .description('catalog counts: by state, by target, in flight, recent failures')
    .option('--since <duration>', 'failures since this long ago (default 24h)')
    .action(run((c, options: { since?: string }) => runStats(c, options)));
}

/** Builds the program; `run` wraps every action to record its exit code. */
function buildProgram(io: CliIo, output: Output, setCode: (code: ExitCodeValue) => void): Command {
  const program = new Command('stowage')
    .description('Operate Stowage: provider settings, test connection, default backend, offload, migrate, reconcile.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'the config file (default: ./stowage.config.json)')
    .option('--json', 'print one JSON document on stdout (events as JSON lines for worker)')
    .option('-v, --verbose', "show the library's warnings and info on stderr")
    .showHelpAfterError('(add --help for the options)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(withoutOptionValues(text)),
      outputError: (text, write) => write(withoutOptionValues(text)),
    });
  const run: Runner =
    <A extends Action>(action: A) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const context = commandContext(io, output, command.optsWithGlobals());
      setCode(
        await (action as unknown as (c: CommandContext, ...rest: unknown[]) => Promise<ExitCodeValue>)(
          context,
          ...args.slice(0, -1),
        ),
      );
    };

  registerAdminCommands(program, run);
  registerWorkCommands(program, run);
  addHelpCommands(program, () => buildProgram(io, output, setCode));
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

/**
 * `help [command...]` on the program and on every command that has
 * subcommands. Commander's own shows the help of the first name only
 * (`stowage help providers set` showed `providers`) and skips the hooks that
 * add options (`set`'s settings fields). This one shows what `<command...>
 * --help` shows, by parsing that on a fresh program; a name that is no
 * command gets the help of the last one found, as an error.
 */
function addHelpCommands(program: Command, fresh: () => Command): void {
  for (const parent of [program, ...allCommands(program)].filter((command) => command.commands.length > 0)) {
    const path: string[] = [];
    for (let command: Command | null = parent; command?.parent; command = command.parent) path.unshift(command.name());
    parent.helpCommand(false);
    parent
      .command('help [command...]')
      .description('display help for command')
      .action(async (names: string[]) => {
        let found = parent;
        for (const name of names) {
          const next = found.commands.find((command) => command.name() === name || command.aliases().includes(name));
          if (!next) {
            found.help({ error: true });
            return;
          }
          found = next;
        }
        await fresh().parseAsync([...path, ...names, '--help'], { from: 'user' });
      });
  }
}

/** Every subcommand under `command`, nested ones included. */
function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

/** Runs `stowage` with `argv` (without the node and script entries) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  const json = argv.includes('--json');
  const output = createOutput(json, io.stdout, io.stderr);
  let code: ExitCodeValue = ExitCode.Ok;
  const program = buildProgram(io, output, (value) => {
    code = value;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
        return ExitCode.Ok;
      if (json) output.result({ ok: false, error: { code: 'USAGE', message: withoutOptionValues(error.message) } });
      return ExitCode.Usage;
    }
    const described = describeError(error);
    if (json) output.result({ ok: false, error: described });
    else io.stderr.write(`stowage: ${described.message}\n`);
    return exitCodeFor(error);
  }
}
