/**
 * The worker's share of queued migrations: every server's worker claims
 * records of every running migration job in batches (as many as it has free
 * slots), each under a lease, and moves them (`claimed-move.ts`). A claim
 * takes only records without an intent, so no two servers move one result;
 * a server that dies leaves intents that recovery on another server resolves
 * once their lease has passed, after which the records are claimed again. The
 * server that finds a job drained (nothing queued, nothing in flight anywhere)
 * marks it done.
 */
import type { CatalogJob, ResultRecord } from '../catalog/types.js';
import { errorFacts } from '../logger.js';
import { moveClaimed } from './claimed-move.js';
import { finishIfDrained } from './job-progress.js';
import type { MigrationContext } from './migrate.js';
import { type MigrationPlan, planFromJob } from './plan.js';

/** How often the list of running migration jobs is read again, at most. */
const JOB_LIST_MS = 1000;

/** Moves records of running migration jobs, at most `concurrency` at a time. */
export class MigrationJobs {
  readonly #context: MigrationContext;
  readonly #concurrency: number;
  readonly #running = new Map<Promise<void>, string>();
  readonly #plans = new Map<string, MigrationPlan>();
  // Jobs this server cannot run (an end it cannot open), logged once each.
  readonly #unrunnable = new Set<string>();
  readonly #stopping = new AbortController();
  #jobs: CatalogJob[] = [];
  #listedAt = 0;
  #filling: Promise<void> | undefined;
  #again = false;

  constructor(context: MigrationContext, concurrency: number) {
    this.#context = context;
    this.#concurrency = concurrency;
  }

  /** Claims records for the free slots and starts moving them; never throws. */
  fill(): Promise<void> {
    if (this.#filling) {
      this.#again = true;
      return this.#filling;
    }
    this.#filling = this.#fill()
      .catch((error: unknown) => {
        this.#context.logger.warn({ error: errorFacts(error) }, 'the worker could not take migration work');
      })
      .finally(() => {
        this.#filling = undefined;
        if (this.#again && !this.#stopping.signal.aborted) {
          this.#again = false;
          void this.fill();
        }
      });
    return this.#filling;
  }

  /** Stops claiming; moves in flight finish (or are undone by their own failure). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#filling;
    await Promise.allSettled([...this.#running.keys()]);
  }

  async #fill(): Promise<void> {
    const { catalog } = this.#context;
    if (Date.now() - this.#listedAt >= JOB_LIST_MS) {
      this.#jobs = (await catalog.listJobs({ kind: 'migrate', state: 'running' })).reverse(); // oldest first
      this.#listedAt = Date.now();
    }
    for (const job of this.#jobs) {
      const free = this.#concurrency - this.#running.size;
      if (free <= 0 || this.#stopping.signal.aborted) return;
      const plan = this.#planOf(job);
      if (!plan) continue;
      const claimed = await catalog.claim({
        select: { migrationId: job.id },
        kind: 'migrate',
        owner: this.#context.owner,
        leaseMs: this.#context.leaseMs,
        limit: free,
      });
      for (const record of claimed) this.#start(job.id, plan, record);
      if (claimed.length === 0 && ![...this.#running.values()].includes(job.id)) {
        const current = await finishIfDrained(catalog, job.id);
        if (current?.state !== 'running') this.#forget(job.id);
      }
    }
  }

  // Tried again at every look (a driver may be registered, or settings fixed, later); logged once per job.
  #planOf(job: CatalogJob): MigrationPlan | undefined {
    const known = this.#plans.get(job.id);
    if (known) return known;
    try {
      const plan = planFromJob(this.#context.targets, job, { concurrency: this.#concurrency });
      this.#plans.set(job.id, plan);
      return plan;
    } catch (error) {
      if (this.#unrunnable.has(job.id)) return undefined;
      this.#unrunnable.add(job.id);
      this.#context.logger.warn(
        { jobId: job.id, error: errorFacts(error) },
        'this server cannot run its share of a queued migration (other servers may)',
      );
      return undefined;
    }
  }

  #forget(jobId: string): void {
    this.#plans.delete(jobId);
    this.#jobs = this.#jobs.filter((job) => job.id !== jobId);
  }

  #start(jobId: string, plan: MigrationPlan, record: ResultRecord): void {
    const moving = moveClaimed(
      { ...this.#context, limit: undefined, signal: this.#stopping.signal },
      plan,
      jobId,
      record,
    ).then(
      () => undefined,
      () => undefined,
    );
    const tracked = moving.finally(() => {
      this.#running.delete(tracked);
      if (!this.#stopping.signal.aborted) void this.fill();
    });
    this.#running.set(tracked, jobId);
  }
}
