/**
 * What a migration will do, checked before anything is touched: where from
 * (providers or targets, local disk included), where to, which results, and
 * that both ends answer. Every problem with the request is one clear error.
 */
import type { Catalog, CatalogJob, ResultQuery, ResultRecord, ResultState } from '../catalog/types.js';
import { LOCAL_TARGET_ID } from '../catalog/types.js';
import { asStorageError, ErrorCode, StorageError } from '../errors.js';
import type { TargetResolver } from '../offload/targets.js';
import { unknownOptionProblems } from '../option-problems.js';
import { currentTargetNamed, everyTargetNamed } from '../target-names.js';
import type { StorageDriver } from '../types.js';

/** What `storage.migrate()` takes. */
export interface MigrateOptions {
  /** Providers (every target of each) or target ids to move results from; "local" is the results disk. */
  readonly from: string | readonly string[];
  /** The provider (its current target) or target id to move them to; "local" downloads them back. */
  readonly to: string;
  /** Only results whose path starts with this. */
  readonly filter?: { readonly pathPrefix?: string };
  /** Delete each source copy once its destination copy is verified and recorded. Default false. */
  readonly deleteSource?: boolean;
  /** Results moved at once. Default 4. */
  readonly concurrency?: number;
  /** Upper bound on the bytes per second the whole migration reads. Default: no bound. */
  readonly bytesPerSecond?: number;
  /** Report what would move, and how many bytes, touching nothing. */
  readonly dryRun?: boolean;
  /** Stops taking new results; results in flight finish or are undone. */
  readonly signal?: AbortSignal;
}

/** What planning needs from the storage. */
export interface PlanContext {
  readonly catalog: Catalog;
  readonly targets: TargetResolver;
  /** True when the backend may receive new results (local disk always may). */
  isEnabled(backend: string): boolean;
}

/** A checked migration request. */
export interface MigrationPlan {
  readonly fromTargets: readonly string[];
  readonly toTarget: string;
  readonly toBackend: string;
  readonly toDriver: StorageDriver;
  readonly query: ResultQuery;
  readonly deleteSource: boolean;
  readonly concurrency: number;
  readonly bytesPerSecond: number | undefined;
  /** Results and bytes that match now. */
  readonly matching: { readonly results: number; readonly bytes: number };
  /** An unfinished migration job with this very request, to resume. */
  readonly unfinished: CatalogJob | undefined;
}

/** The parameters a migration job is kept with; two requests with the same ones are the same migration. */
export function jobParams(plan: Pick<MigrationPlan, 'fromTargets' | 'toTarget' | 'query' | 'deleteSource'>) {
  return { from: plan.fromTargets, to: plan.toTarget, query: plan.query, deleteSource: plan.deleteSource };
}

/**
 * The plan of a migration job queued earlier (perhaps by another server), from
 * its kept parameters, for a worker to run its share: no probe and no count,
 * those ran when it was queued. Throws when this server cannot open one end.
 */
export function planFromJob(
  targets: TargetResolver,
  job: CatalogJob,
  run: { readonly concurrency: number; readonly bytesPerSecond?: number },
): MigrationPlan {
  const params = job.params as Partial<ReturnType<typeof jobParams>>;
  if (!Array.isArray(params.from) || typeof params.to !== 'string' || typeof params.query !== 'object') {
    throw new StorageError(ErrorCode.InvalidInput, `migration job ${job.id} has no from/to/query it can run`);
  }
  const { backend: toBackend, driver: toDriver } = openOrExplain(targets, params.to, 'destination');
  for (const target of params.from) openOrExplain(targets, target, 'source');
  return {
    fromTargets: params.from,
    toTarget: params.to,
    toBackend,
    toDriver,
    query: params.query as ResultQuery,
    deleteSource: params.deleteSource === true,
    concurrency: run.concurrency,
    bytesPerSecond: run.bytesPerSecond,
    matching: { results: 0, bytes: 0 },
    unfinished: job,
  };
}

/**
 * True when `record` is still one the plan moves: in one of its sources and in a
 * movable state. A record queued earlier may have moved since (re-offloaded by
 * the worker, deleted, moved by another migration); moving it then would copy it
 * onto itself or delete the copy it now serves from.
 */
export function stillMovable(plan: Pick<MigrationPlan, 'fromTargets'>, record: ResultRecord): boolean {
  if (!plan.fromTargets.includes(record.targetId)) return false;
  return movableStates(plan.fromTargets).includes(record.state);
}

/** The states a migration from these targets moves (the same as its query's). */
function movableStates(fromTargets: readonly string[]): readonly ResultState[] {
  return fromTargets.includes(LOCAL_TARGET_ID) ? [...MOVABLE_REMOTE, ...MOVABLE_LOCAL] : MOVABLE_REMOTE;
}

/** Results in these states have their bytes in their target and may move. */
const MOVABLE_REMOTE: readonly ResultState[] = ['offloaded'];
const MOVABLE_LOCAL: readonly ResultState[] = ['local', 'pending', 'blocked', 'given-up'];

/** Checks the request and both ends; throws one StorageError naming what is wrong. */
export async function planMigration(context: PlanContext, options: MigrateOptions): Promise<MigrationPlan> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `migrate: ${problems.join('; ')}`);
  const sources = typeof options.from === 'string' ? [options.from] : [...options.from];
  const fromTargets = [...new Set(sources.flatMap((name) => everyTargetNamed(context.targets, name, 'migrate')))];
  const toTarget = currentTargetNamed(context.targets, options.to, 'migrate', 'destination');
  const { backend: toBackend, driver: toDriver } = openOrExplain(context.targets, toTarget, 'destination');
  if (fromTargets.includes(toTarget)) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `migrate: the destination "${toTarget}" is also a source; nothing would move`,
    );
  }
  if (!context.isEnabled(toBackend)) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `migrate: the destination "${toBackend}" is disabled; enable it first (its settings must be complete and valid)`,
    );
  }
  const states = movableStates(fromTargets);
  const query: ResultQuery = {
    targetId: fromTargets,
    state: states,
    ...(options.filter?.pathPrefix ? { pathPrefix: options.filter.pathPrefix } : {}),
  };
  const deleteSource = options.deleteSource ?? false;
  const same = JSON.stringify(jobParams({ fromTargets, toTarget, query, deleteSource }));
  const unfinished = (await context.catalog.listJobs({ kind: 'migrate', state: ['queued', 'running'] })).find(
    (job) => JSON.stringify(job.params) === same,
  );
  const matching = await context.catalog.count(query);
  // A resumed migration may have nothing left to move but its own completion.
  if (matching.results === 0 && !unfinished) {
    throw new StorageError(
      ErrorCode.InvalidInput,
      `migrate: no result in ${fromTargets.join(', ')}${options.filter?.pathPrefix ? ` under "${options.filter.pathPrefix}"` : ''} to move`,
    );
  }
  for (const target of fromTargets) openOrExplain(context.targets, target, 'source');
  if (!options.dryRun) await expectReachable(toBackend, toDriver);
  return {
    fromTargets,
    toTarget,
    toBackend,
    toDriver,
    query,
    deleteSource,
    concurrency: options.concurrency ?? 4,
    bytesPerSecond: options.bytesPerSecond,
    matching,
    unfinished,
  };
}

// Every option migrate reads. A misspelt one would be ignored without a word: `dryrun: true` would move everything.
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof MigrateOptions>([
  'from',
  'to',
  'filter',
  'deleteSource',
  'concurrency',
  'bytesPerSecond',
  'dryRun',
  'signal',
]);

function optionProblems(options: MigrateOptions): string[] {
  if (typeof options !== 'object' || options === null) return ['options must be an object like { from, to }'];
  const problems = unknownOptionProblems(options, KNOWN_OPTIONS);
  const from = typeof options.from === 'string' ? [options.from] : options.from;
  if (!Array.isArray(from) || from.length === 0 || from.some((name) => typeof name !== 'string' || name === '')) {
    problems.push('from: name one or more providers or targets');
  }
  if (typeof options.to !== 'string' || options.to === '') problems.push('to: name a provider or a target');
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
    problems.push('concurrency: must be a whole number of at least 1');
  }
  if (
    options.bytesPerSecond !== undefined &&
    !(Number.isFinite(options.bytesPerSecond) && options.bytesPerSecond >= 1024)
  ) {
    problems.push('bytesPerSecond: must be at least 1024');
  }
  if (options.filter !== undefined && (typeof options.filter !== 'object' || options.filter === null)) {
    problems.push('filter: must be an object like { pathPrefix: "images/" }');
  }
  return problems;
}

function openOrExplain(targets: TargetResolver, target: string, role: string) {
  try {
    return targets.open(target);
  } catch (error) {
    const cause = asStorageError(error);
    throw new StorageError(cause.code, `migrate: the ${role} "${target}" cannot be used: ${cause.message}`, { cause });
  }
}

/** The destination must take a write before the first result moves: its probe runs first. */
async function expectReachable(backend: string, driver: StorageDriver): Promise<void> {
  const report = await driver.probe();
  if (!report.ok) {
    throw new StorageError(
      (report.code as ErrorCode | undefined) ?? ErrorCode.Unknown,
      `migrate: the destination "${backend}" failed its connection test: ${report.message}`,
    );
  }
}
