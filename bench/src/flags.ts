/**
 * Command-line flags shared by the benchmarks: whole-number flags with a
 * default and an allowed range, plus plain switches. Every problem is reported
 * at once, naming the flag and its range, before anything starts.
 */
import { parseArgs } from 'node:util';

/** One whole-number flag: its default, allowed range and help text. */
export interface NumberFlag {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

/** Thrown for unusable options; the message lists every problem. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What `parseFlags` found: each number flag's value (default when absent) and each switch. */
export interface ParsedFlags<N extends string, S extends string> {
  readonly numbers: Record<N, number>;
  readonly switches: Record<S, boolean>;
  /** Names of the number flags given on the command line. */
  readonly given: ReadonlySet<N>;
  /** Every bad value, described; the caller adds its own cross-flag checks and throws UsageError. */
  readonly problems: string[];
}

/** Usage lines for the flags, one per flag, then the switches. */
export function flagUsage(numbers: Readonly<Record<string, NumberFlag>>, switches: Readonly<Record<string, string>>) {
  const width = Math.max(14, ...[...Object.keys(numbers), ...Object.keys(switches)].map((name) => name.length));
  return [
    ...Object.entries(numbers).map(
      ([flag, spec]) => `  --${flag.padEnd(width)} ${spec.help} (default ${spec.default}, ${spec.min}..${spec.max})`,
    ),
    ...Object.entries(switches).map(([flag, help]) => `  --${flag.padEnd(width)} ${help}`),
  ];
}

/**
 * Parses `argv` against the number flags and switches. Returns undefined when
 * `--help` was given; throws UsageError for unknown flags, and lists bad
 * values in `problems` (a bad value reads as its default meanwhile).
 */
export function parseFlags<N extends string, S extends string>(
  argv: readonly string[],
  numbers: Readonly<Record<N, NumberFlag>>,
  switches: Readonly<Record<S, string>>,
): ParsedFlags<N, S> | undefined {
  const numberNames = Object.keys(numbers) as N[];
  const switchNames = Object.keys(switches) as S[];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean' },
        ...Object.fromEntries(numberNames.map((flag) => [flag, { type: 'string' as const }])),
        ...Object.fromEntries(switchNames.map((flag) => [flag, { type: 'boolean' as const }])),
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) return undefined;

  const problems: string[] = [];
  const given = new Set<N>();
  const values = {} as Record<N, number>;
  for (const flag of numberNames) {
    const spec = numbers[flag];
    const text = parsed.values[flag];
    values[flag] = spec.default;
    if (text === undefined) continue;
    given.add(flag);
    const number = Number(text);
    if (typeof text !== 'string' || !/^\d+$/.test(text) || number < spec.min || number > spec.max) {
      problems.push(`--${flag} must be a whole number from ${spec.min} to ${spec.max} (got ${JSON.stringify(text)})`);
      continue;
    }
    values[flag] = number;
  }
  const flags = {} as Record<S, boolean>;
  for (const flag of switchNames) flags[flag] = parsed.values[flag] === true;
  return { numbers: values, switches: flags, given, problems };
}

/**
 * Runs `parse` on `argv` for the benchmark `name`: prints the usage for
 * `--help`, or the problems and the usage for bad options (exit code 2).
 * Returns the options, or undefined when there is nothing to run.
 */
export function optionsOrUsage<T>(
  name: string,
  argv: readonly string[],
  parse: (argv: readonly string[]) => T | undefined,
  usage: () => string,
): T | undefined {
  let options: T | undefined;
  try {
    options = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${name}: ${error.message}\n\n${usage()}`);
    process.exitCode = 2;
    return undefined;
  }
  if (options === undefined) console.log(usage());
  return options;
}
