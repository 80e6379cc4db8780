/**
 * What a reconcile is asked to do, checked before anything is touched: every
 * problem with the options in one INVALID_INPUT error, then the target named
 * (a provider stands for its current target), then that it can be opened.
 */
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import type { TargetResolver } from '../offload/targets.js';
import { unknownOptionProblems } from '../option-problems.js';
import { currentTargetNamed } from '../target-names.js';
import { reachRefusal } from './reach.js';

/** What `storage.reconcile()` and `storage.queueReconcile()` take. */
export interface ReconcileOptions {
  /**
   * A provider (its current target) or a target id. "local" compares the
   * results disk with the records that serve from it.
   */
  readonly target: string;
  /**
   * Repair what can be repaired: delete orphans older than `graceMs` that no
   * recorded intent names, send missing results again from their local copy,
   * mark the rest missing, abort incomplete uploads older than `graceMs`.
   * Default false: report only.
   */
  readonly fix?: boolean;
  /** How old an orphan (or an incomplete upload) must be before `fix` removes it, in milliseconds. Default 24 h. */
  readonly graceMs?: number;
  /**
   * Compare each object's `sha256` metadata with the catalog's SHA-256: one
   * HEAD request per recorded object. Default true; false compares sizes only.
   */
  readonly checkMetadata?: boolean;
  /** Also read and hash every recorded object (one GET of its whole body each), like `rclone check --download`. Default false. */
  readonly deep?: boolean;
  /** Requests (HEAD, GET) in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Stops the reconcile; what it found so far is reported with state 'cancelled'. */
  readonly signal?: AbortSignal;
}

/** A checked reconcile request, as kept in its catalog job (JSON). */
export interface ReconcilePlan {
  /** The target id compared. */
  readonly target: string;
  /** What the caller named: the provider or the target id. */
  readonly requested: string;
  readonly fix: boolean;
  readonly graceMs: number;
  readonly checkMetadata: boolean;
  readonly deep: boolean;
  readonly concurrency: number;
}

/** The default grace period: a day, far beyond any upload still in progress. */
const DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000;

const KNOWN_OPTIONS = new Set(['target', 'fix', 'graceMs', 'checkMetadata', 'deep', 'concurrency', 'signal']);
const MAX_CONCURRENCY = 64;

/** Checks `options` and names the target; throws one StorageError naming what is wrong, before any I/O. */
export function planReconcile(targets: TargetResolver, options: ReconcileOptions): ReconcilePlan {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `reconcile: ${problems.join('; ')}`);
  const plan: ReconcilePlan = {
    target: currentTargetNamed(targets, options.target, 'reconcile'),
    requested: options.target,
    fix: options.fix ?? false,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    checkMetadata: options.checkMetadata ?? true,
    deep: options.deep ?? false,
    concurrency: options.concurrency ?? 8,
  };
  try {
    openTarget(targets, plan.target);
  } catch (error) {
    throw plan.fix ? reachRefusal(plan.target, 'it cannot be opened', error) : error;
  }
  return plan;
}

/** The plan a queued job was made with, checked again (the settings may have changed since). */
export function planFromJob(targets: TargetResolver, params: Readonly<Record<string, unknown>>): ReconcilePlan {
  const { target: _resolved, requested, ...rest } = params;
  return planReconcile(targets, { ...(rest as Partial<ReconcileOptions>), target: requested as string });
}

/** The job parameters of a plan (JSON). */
export function jobParams(plan: ReconcilePlan): Record<string, unknown> {
  return { ...plan };
}

/** Opens the target; MISCONFIGURED (or the driver's code) naming the target when it cannot be served. */
export function openTarget(targets: TargetResolver, target: string): ReturnType<TargetResolver['open']> {
  try {
    return targets.open(target);
  } catch (error) {
    const cause = asStorageError(error);
    throw new StorageError(cause.code, `reconcile: the target "${target}" cannot be opened: ${cause.message}`, {
      cause,
      details: { target },
    });
  }
}

function optionProblems(options: ReconcileOptions): string[] {
  if (typeof options !== 'object' || options === null) return ['options must be an object like { target: "r2" }'];
  const problems = unknownOptionProblems(options, KNOWN_OPTIONS);
  if (typeof options.target !== 'string' || options.target === '') problems.push('target: name a provider or a target');
  for (const name of ['fix', 'checkMetadata', 'deep'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      problems.push(`${name}: must be true or false`);
  }
  const { graceMs, concurrency, signal } = options;
  if (graceMs !== undefined && !(typeof graceMs === 'number' && Number.isFinite(graceMs) && graceMs >= 0)) {
    problems.push('graceMs: must be a non-negative number of milliseconds');
  }
  if (
    concurrency !== undefined &&
    !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)
  ) {
    problems.push(`concurrency: must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) problems.push('signal: must be an AbortSignal');
  return problems;
}
