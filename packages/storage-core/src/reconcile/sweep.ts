/**
 * `storage.sweep()`: aborts the incomplete multipart uploads older than a
 * given age in one target or in every target of every configured provider
 * (uploads cut short by a crash or a lost connection are billed storage until
 * aborted). A target whose driver never keeps incomplete uploads is skipped;
 * one that fails is reported and the others are still swept. A dry run
 * chooses and opens the targets exactly as a sweep does, so a name that would
 * be refused is refused by it too, and aborts nothing.
 */
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import { DEFAULT_SWEEP_AGE_MS } from '../incomplete-uploads.js';
import type { Logger } from '../logger.js';
import type { TargetResolver } from '../offload/targets.js';
import { unknownOptionProblems } from '../option-problems.js';
import { currentTargetNamed } from '../target-names.js';

/** What `storage.sweep()` takes. */
export interface SweepOptions {
  /** Only uploads started more than this many milliseconds ago. Default 24 h. */
  readonly olderThanMs?: number;
  /** One provider (its current target) or target id; default: every target of every configured provider. */
  readonly target?: string;
  /** Names the targets a sweep would take (each opened, as a sweep does) and aborts nothing: each reports 0 aborted. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** What a sweep did, target by target. */
export interface SweepReport {
  readonly targets: ReadonlyArray<{
    readonly target: string;
    readonly aborted: number;
    readonly failed: number;
    /** Set when the target could not be swept at all. */
    readonly error?: { readonly code: string; readonly message: string };
  }>;
  readonly aborted: number;
  readonly failed: number;
}

/** What a sweep needs. */
export interface SweepContext {
  readonly targets: TargetResolver;
  /** The names of the configured providers (local disk left out). */
  providers(): readonly string[];
  readonly logger: Logger;
}

const KNOWN_OPTIONS = new Set(['olderThanMs', 'target', 'dryRun', 'signal']);

/** Sweeps one target or every one; INVALID_INPUT for bad options or an unknown target, before any request. */
export async function sweepTargets(context: SweepContext, options: SweepOptions = {}): Promise<SweepReport> {
  const problems = sweepProblems(options);
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `sweep: ${problems.join('; ')}`);
  const { targets } = context;
  const chosen =
    options.target === undefined
      ? [...new Set(context.providers().flatMap((name) => targets.targetsOf(name)))]
      : [currentTargetNamed(targets, options.target, 'sweep')];
  const swept: Array<SweepReport['targets'][number]> = [];
  for (const target of chosen) {
    try {
      const { driver } = targets.open(target);
      if (!driver.capabilities.incompleteUploads) continue;
      if (options.dryRun === true) {
        swept.push({ target, aborted: 0, failed: 0 });
        continue;
      }
      const result = await driver.sweepIncompleteUploads({
        olderThanMs: options.olderThanMs ?? DEFAULT_SWEEP_AGE_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      swept.push({ target, aborted: result.aborted, failed: result.failed.length });
    } catch (error) {
      // A target named on purpose that cannot be swept is the answer; across every target, one failure is not.
      if (options.signal?.aborted || options.target !== undefined) throw asStorageError(error);
      const failure = asStorageError(error);
      context.logger.warn({ target, code: failure.code }, 'sweeping incomplete uploads of a target failed');
      swept.push({ target, aborted: 0, failed: 0, error: { code: failure.code, message: failure.message } });
    }
  }
  return {
    targets: swept,
    aborted: swept.reduce((sum, entry) => sum + entry.aborted, 0),
    failed: swept.reduce((sum, entry) => sum + entry.failed, 0),
  };
}

function sweepProblems(options: SweepOptions): string[] {
  if (typeof options !== 'object' || options === null) return ['options must be an object'];
  const problems = unknownOptionProblems(options, KNOWN_OPTIONS);
  const { olderThanMs, target, dryRun, signal } = options;
  if (
    olderThanMs !== undefined &&
    !(typeof olderThanMs === 'number' && Number.isFinite(olderThanMs) && olderThanMs >= 0)
  ) {
    problems.push('olderThanMs: must be a non-negative number of milliseconds');
  }
  if (target !== undefined && (typeof target !== 'string' || target === ''))
    problems.push('target: name a provider or a target');
  if (dryRun !== undefined && typeof dryRun !== 'boolean') problems.push('dryRun: must be true or false');
  if (signal !== undefined && !(signal instanceof AbortSignal)) problems.push('signal: must be an AbortSignal');
  return problems;
}
