/**
 * Command-line options of the driver benchmark (`pnpm bench driver`). Every
 * problem is reported at once, before MinIO starts, naming the flag and the
 * accepted range.
 */
import { flagUsage, type NumberFlag, parseFlags, UsageError } from './flags.js';

const MIB = 1024 * 1024;

/** What one benchmark run does; sizes in bytes. */
export interface BenchOptions {
  readonly bigBytes: number;
  readonly rounds: number;
  readonly partSize: number;
  readonly queueSize: number;
  readonly smallCount: number;
  readonly smallBytes: number;
  readonly concurrency: number;
  readonly expectCount: number;
  readonly expectBytes: number;
}

/** Flag, default and allowed range; sizes are in the unit the flag names. */
const FLAGS = {
  'size-mib': { default: 256, min: 1, max: 65_536, help: 'size of the big object (streamed and file uploads, reads)' },
  rounds: { default: 3, min: 1, max: 50, help: 'rounds; each round runs every case once per side, interleaved' },
  'part-size-mib': { default: 8, min: 5, max: 5_120, help: 'multipart part size, both sides (driver default 8)' },
  'queue-size': { default: 4, min: 1, max: 64, help: 'parts in flight per upload, both sides (driver default 4)' },
  'small-count': { default: 500, min: 1, max: 100_000, help: 'small objects per run' },
  'small-kib': { default: 16, min: 1, max: 5_120, help: 'size of each small object' },
  concurrency: { default: 8, min: 1, max: 256, help: 'small-object PUTs in flight (p-limit)' },
  'expect-count': {
    default: 20,
    min: 0,
    max: 10_000,
    help: 'sequential PUTs per Expect: 100-continue run; 0 skips it',
  },
  'expect-mib': { default: 4, min: 2, max: 5, help: 'body size of those PUTs (the SDK adds Expect from 2 MiB)' },
} as const satisfies Record<string, NumberFlag>;

/** The usage text printed for --help and after a bad option. */
export function usage(): string {
  return ['Usage: pnpm bench driver [options]', '', ...flagUsage(FLAGS, {}), '  --help           this text'].join('\n');
}

/** Parses `argv` (without node and script). Returns undefined when --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const parsed = parseFlags(argv, FLAGS, {});
  if (!parsed) return undefined;
  const value = parsed.numbers;
  const options: BenchOptions = {
    bigBytes: value['size-mib'] * MIB,
    rounds: value.rounds,
    partSize: value['part-size-mib'] * MIB,
    queueSize: value['queue-size'],
    smallCount: value['small-count'],
    smallBytes: value['small-kib'] * 1024,
    concurrency: value.concurrency,
    expectCount: value['expect-count'],
    expectBytes: value['expect-mib'] * MIB,
  };
  const problems = [...parsed.problems];
  if (options.expectBytes > options.partSize) {
    problems.push('--expect-mib must not exceed --part-size-mib: those PUTs must stay single requests');
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return options;
}
