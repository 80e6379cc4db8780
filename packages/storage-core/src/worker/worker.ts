/**
 * The re-offload worker: sends results that stayed local for a transient
 * reason once their time has come (the schedule lives in the catalog, so a
 * restart continues it), resolves abandoned intents, and sweeps incomplete
 * multipart uploads. It claims each result before touching it, so several
 * workers (on one server or many sharing a catalog) and manual offloads never
 * send or delete the same result at once.
 */
import type { Catalog, ResultRecord } from '../catalog/types.js';
import { errorFacts, type Logger } from '../logger.js';
import type { OffloadInput, OffloadOutcome } from '../offload/types.js';

/** Worker tuning. */
export interface WorkerOptions {
  /** Results sent at once. Default 2. */
  readonly concurrency?: number;
  /** How often the catalog is asked for due work, in milliseconds. Default 1,000. */
  readonly pollIntervalMs?: number;
  /** How often abandoned intents are looked for, in milliseconds. Default 30,000. */
  readonly recoveryIntervalMs?: number;
  /** How long a claim is held without renewal. Default: the storage's lease. */
  readonly leaseMs?: number;
}

/** What the worker drives: the storage's own operations. */
export interface WorkerHost {
  readonly catalog: Catalog;
  readonly owner: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  /** Offloads `input` under the claim `attemptId` the worker holds. */
  offloadClaimed(input: OffloadInput, attemptId: string): Promise<OffloadOutcome>;
  /** Settles a claimed record that cannot be sent at all (its files are gone or no longer acceptable). */
  markUnsendable(record: ResultRecord, error: unknown): Promise<void>;
  /** Resolves abandoned intents. */
  recover(): Promise<unknown>;
}

/** A running worker; see `Storage.startWorker()`. */
export class Worker {
  readonly #host: WorkerHost;
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #recoveryMs: number;
  readonly #leaseMs: number;
  readonly #running = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastRecovery = 0;
  #ticking: Promise<void> | undefined;

  constructor(host: WorkerHost, options: WorkerOptions = {}) {
    this.#host = host;
    this.#concurrency = options.concurrency ?? 2;
    this.#pollMs = options.pollIntervalMs ?? 1000;
    this.#recoveryMs = options.recoveryIntervalMs ?? 30_000;
    this.#leaseMs = options.leaseMs ?? host.leaseMs;
    this.#schedule(0);
  }

  /** Stops taking work and waits for the results being sent to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.allSettled([...this.#running]);
  }

  /** Asks for due work now instead of at the next poll. */
  poke(): void {
    if (this.#stopped || this.#ticking) return;
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        this.#schedule(this.#pollMs);
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const { catalog, logger } = this.#host;
    try {
      if (Date.now() - this.#lastRecovery >= this.#recoveryMs) {
        this.#lastRecovery = Date.now();
        await this.#host.recover();
      }
      const free = this.#concurrency - this.#running.size;
      if (free <= 0 || this.#stopped) return;
      const claimed = await catalog.claim({
        select: { due: true },
        kind: 'offload',
        owner: this.#host.owner,
        leaseMs: this.#leaseMs,
        limit: free,
      });
      for (const record of claimed) this.#start(record);
    } catch (error) {
      logger.warn({ error: errorFacts(error) }, 'the offload worker could not take work; it tries again');
    }
  }

  #start(record: ResultRecord): void {
    const job = this.#send(record).finally(() => {
      this.#running.delete(job);
      this.poke();
    });
    this.#running.add(job);
  }

  async #send(record: ResultRecord): Promise<void> {
    const { logger } = this.#host;
    const attemptId = record.intent?.attemptId as string;
    try {
      await this.#host.offloadClaimed(inputOf(record), attemptId);
    } catch (error) {
      // offload throws only for input it refuses: the files are gone, or no longer regular files inside the disk.
      logger.warn({ key: record.path, error: errorFacts(error) }, 'the offload worker cannot send a result');
      await this.#host.markUnsendable(record, error).catch(() => undefined);
    }
  }
}

/** The offload input a record was made from: its original, variants, content types and metadata. */
export function inputOf(record: ResultRecord): OffloadInput {
  const [original, ...variants] = record.files;
  return {
    path: record.path,
    ...(original?.contentType ? { contentType: original.contentType } : {}),
    ...(Object.keys(record.metadata).length > 0 ? { metadata: record.metadata } : {}),
    ...(variants.length > 0
      ? {
          variants: Object.fromEntries(
            variants.map((variant) => [
              variant.name,
              variant.contentType ? { path: variant.path, contentType: variant.contentType } : variant.path,
            ]),
          ),
        }
      : {}),
  };
}
