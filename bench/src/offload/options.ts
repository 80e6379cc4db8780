/**
 * Command-line options of the offload benchmark (`pnpm bench offload`). Every
 * problem is reported at once, before MinIO starts, naming the flag and its
 * range. `--quick` shrinks every workload; flags given explicitly still win.
 */
import { flagUsage, type NumberFlag, parseFlags, UsageError } from '../flags.js';

const MIB = 1024 * 1024;

/** What one offload benchmark run does; sizes in bytes, 0 skips a workload. */
export interface OffloadOptions {
  readonly rounds: number;
  readonly smallCount: number;
  readonly smallBytes: number;
  readonly concurrency: number;
  readonly bigBytes: number;
  readonly rssLowBytes: number;
  readonly rssHighBytes: number;
  /** Milliseconds added to every answer of MinIO's (through toxiproxy); 0 sends straight to MinIO. */
  readonly latencyMs: number;
  readonly rclone: boolean;
  /** Also measure Stowage with the catalog off (the default has it on). */
  readonly catalog: boolean;
  readonly countRequests: boolean;
  readonly profile: boolean;
  readonly attribute: boolean;
}

const FLAGS = {
  rounds: { default: 3, min: 1, max: 50, help: 'rounds; each runs every workload once per contender, interleaved' },
  'small-count': { default: 2000, min: 0, max: 100_000, help: 'small files per run; 0 skips the small-file workload' },
  'small-kib': { default: 64, min: 1, max: 5_120, help: 'size of each small file' },
  concurrency: { default: 8, min: 1, max: 256, help: 'files in flight (offload concurrency, p-limit, --transfers)' },
  'big-mib': { default: 1024, min: 0, max: 65_536, help: 'the one big file (throughput); 0 skips it' },
  'rss-low-mib': { default: 512, min: 0, max: 65_536, help: 'smaller file of the memory pair; 0 skips the pair' },
  'rss-high-mib': { default: 2048, min: 0, max: 65_536, help: 'larger file of the memory pair; 0 skips the pair' },
  'latency-ms': {
    default: 0,
    min: 0,
    max: 1_000,
    help: "ms added to every answer of MinIO's (a toxiproxy latency toxic), as a backend that far away; 0: none",
  },
} as const satisfies Record<string, NumberFlag>;

type Flag = keyof typeof FLAGS;

/** Values `--quick` puts in place of the defaults. */
const QUICK: Readonly<Partial<Record<Flag, number>>> = {
  rounds: 1,
  'small-count': 300,
  'big-mib': 128,
  'rss-low-mib': 64,
  'rss-high-mib': 256,
};

const SWITCHES = {
  quick: `a quick run: ${Object.entries(QUICK)
    .map(([flag, value]) => `--${flag} ${value}`)
    .join(', ')}`,
  'no-rclone': 'leave rclone out (it is built with go install on first use)',
  catalog: 'also run Stowage with the catalog off, to price the catalog (the default has it on)',
  'count-requests': 'after the timed rounds, one untimed pass per contender through a counting proxy',
  profile:
    'after the timed rounds, one run of each Stowage variant and one raw run per workload under node --cpu-prof, summarised',
  attribute: "after the timed rounds, rounds of the raw SDK plus each of offload's steps (small and big files)",
} as const;

/** The usage text printed for --help and after a bad option. */
export function usage(): string {
  return [
    'Usage: pnpm bench offload [options]',
    '',
    ...flagUsage(FLAGS, SWITCHES),
    '  --help           this text',
  ].join('\n');
}

/** Parses `argv` (after the `offload` word). Returns undefined when --help was asked for. */
export function parseOffloadOptions(argv: readonly string[]): OffloadOptions | undefined {
  const parsed = parseFlags(argv, FLAGS, SWITCHES);
  if (!parsed) return undefined;
  const value = (flag: Flag): number =>
    parsed.switches.quick && !parsed.given.has(flag) ? (QUICK[flag] ?? parsed.numbers[flag]) : parsed.numbers[flag];
  const options: OffloadOptions = {
    rounds: value('rounds'),
    smallCount: value('small-count'),
    smallBytes: value('small-kib') * 1024,
    concurrency: value('concurrency'),
    bigBytes: value('big-mib') * MIB,
    rssLowBytes: value('rss-low-mib') * MIB,
    rssHighBytes: value('rss-high-mib') * MIB,
    latencyMs: value('latency-ms'),
    rclone: !parsed.switches['no-rclone'],
    catalog: parsed.switches.catalog,
    countRequests: parsed.switches['count-requests'],
    profile: parsed.switches.profile,
    attribute: parsed.switches.attribute,
  };
  const problems = [...parsed.problems];
  if ((options.rssLowBytes === 0) !== (options.rssHighBytes === 0)) {
    problems.push('--rss-low-mib and --rss-high-mib are a pair: give both or set both to 0');
  } else if (options.rssLowBytes >= options.rssHighBytes && options.rssHighBytes > 0) {
    problems.push('--rss-low-mib must be smaller than --rss-high-mib');
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return options;
}
