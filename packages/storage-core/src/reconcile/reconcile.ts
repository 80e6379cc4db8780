/**
 * One reconcile of a target (README.md, "Migrating and reconciling"): the backend's
 * listing and the catalog's files of the target, both in UTF-8 byte order,
 * merge-joined as they stream, so memory stays bounded whatever their size
 * (one page of each side, the checks in flight, the samples, one batch of
 * orphans). Then the results disk is walked the same way against every
 * recorded path, for files no record knows. With `fix`, proven reach first,
 * then orphans, missing results and incomplete uploads are repaired.
 */
import type { Catalog, CatalogFileEntry, CatalogKeptEntry } from '../catalog/types.js';
import { LOCAL_TARGET_ID } from '../catalog/types.js';
import { emitSafely, type StorageEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { TargetResolver } from '../offload/targets.js';
import { PROBE_KEY_PREFIX } from '../probe.js';
import type { ResultsDisk } from '../registry/registry.js';
import type { ListEntry, StorageDriver } from '../types.js';
import { forgetKeptKey } from './fix-kept.js';
import { fixMissing } from './fix-missing.js';
import { OrphanRemover } from './fix-orphans.js';
import { type Joined, mergeJoin } from './merge-join.js';
import { type CheckTarget, checkObject, confirmMissing } from './object-checks.js';
import { openTarget, type ReconcilePlan } from './options.js';
import { proveReach } from './reach.js';
import { keptKeys, type RecordedKey, recordedKeys, servedFiles } from './recorded-keys.js';
import { type ReconcileProgress, type ReconcileReport, ReconcileTally } from './report.js';
import { TaskPool } from './task-pool.js';

/** What a reconcile needs from the storage. */
export interface ReconcileContext {
  readonly catalog: Catalog;
  readonly targets: TargetResolver;
  readonly resultsDisk: ResultsDisk;
  readonly events: StorageEvents;
  readonly logger: Logger;
  /** Wakes the worker once results were sent back to its queue. */
  readonly requeued?: () => void;
}

/** One run's identity and controls. */
export interface ReconcileRun {
  readonly jobId: string;
  /** The caller's signal: stopping reports 'cancelled'. */
  readonly signal: AbortSignal | undefined;
  /** Stops the run as failed (e.g. its job lease was lost): the reason is thrown. */
  readonly halt: AbortSignal;
  /** Called with every progress report (throttled), e.g. to keep it in the job. */
  readonly onProgress?: (progress: ReconcileProgress) => void;
}

const LISTING_PAGE = 1000;
const PROGRESS_EVERY_MS = 250;

/** Compares (and with `fix`, repairs) the plan's target; see ReconcileReport. */
export async function reconcileTarget(
  context: ReconcileContext,
  plan: ReconcilePlan,
  run: ReconcileRun,
): Promise<ReconcileReport> {
  const comparison = new Comparison(context, plan, run);
  return comparison.complete();
}

class Comparison {
  readonly #context: ReconcileContext;
  readonly #plan: ReconcilePlan;
  readonly #run: ReconcileRun;
  readonly #signal: AbortSignal;
  readonly #started = performance.now();
  readonly #tally = new ReconcileTally();
  readonly #pool: TaskPool;
  readonly #isLocal: boolean;
  #phase: ReconcileProgress['phase'] = 'objects';
  #lastProgress = 0;

  constructor(context: ReconcileContext, plan: ReconcilePlan, run: ReconcileRun) {
    this.#context = context;
    this.#plan = plan;
    this.#run = run;
    this.#signal = run.signal ? AbortSignal.any([run.signal, run.halt]) : run.halt;
    this.#pool = new TaskPool(plan.concurrency);
    this.#isLocal = plan.target === LOCAL_TARGET_ID;
  }

  async complete(): Promise<ReconcileReport> {
    const { catalog } = this.#context;
    const plan = this.#plan;
    const { backend, driver } = plan.fix
      ? await proveReach(catalog, this.#context.targets, plan.target)
      : openTarget(this.#context.targets, plan.target);
    const check: CheckTarget = { driver, isResultsDisk: this.#isLocal };
    const orphans =
      plan.fix && !this.#isLocal
        ? new OrphanRemover({
            catalog,
            driver,
            target: plan.target,
            graceMs: plan.graceMs,
            tally: this.#tally,
            logger: this.#context.logger,
          })
        : undefined;
    let cancelled = false;
    try {
      const joined = mergeJoin<ListEntry, RecordedKey>(
        { items: this.#listing(driver), keyOf: (entry) => entry.key, name: `the listing of target "${plan.target}"` },
        {
          items: recordedKeys(catalog, plan.target),
          keyOf: (entry) => entry.key,
          name: `the catalog's files of target "${plan.target}"`,
        },
      );
      if (this.#isLocal) {
        // On the results disk the orphans are the files no record knows: a file that no local record
        // serves may still be the local copy of a result stored elsewhere.
        this.#tally.unknownLocalFiles = this.#tally.orphans;
        await this.#unknownLocalFiles(this.#unrecorded(joined, check));
      } else {
        for await (const item of joined) {
          if (this.#stopped()) break;
          if (item.right.length === 0) {
            const orphan = item.left as ListEntry;
            this.#listed(orphan);
            this.#tally.orphans.add(orphan.size, () => unrecordedSample(orphan));
            await orphans?.consider(orphan);
          } else await this.#compare(item, check);
          this.#progress();
        }
        await this.#pool.drain();
        if (!this.#stopped()) await orphans?.flush();
        this.#phase = 'local-files';
        if (!this.#stopped()) await this.#unknownLocalFiles(this.#listing(this.#context.resultsDisk));
      }
      await this.#pool.drain();
      if (plan.fix && driver.capabilities.incompleteUploads && !this.#stopped()) await this.#abortUploads(driver);
    } catch (error) {
      await this.#pool.drain().catch(() => undefined);
      if (this.#run.halt.aborted) throw this.#run.halt.reason;
      if (!this.#run.signal?.aborted) throw error;
      cancelled = true;
    }
    if (this.#run.halt.aborted) throw this.#run.halt.reason;
    cancelled ||= this.#run.signal?.aborted === true;
    this.#phase = 'done';
    this.#progress(true);
    return this.#report(backend, cancelled ? 'cancelled' : 'done');
  }

  /** A key the catalog knows: a served file, a kept copy, or both. */
  async #compare(item: Joined<ListEntry, RecordedKey>, check: CheckTarget): Promise<void> {
    const kept = keptKeys(item.right);
    this.#tally.kept.recorded += kept.length;
    if (kept.length > 0 && !item.left) await this.#keptMissing(kept, check.driver);
    const files = servedFiles(item.right);
    if (files.length === 0) {
      if (item.left) this.#listed(item.left);
      return;
    }
    await this.#compareFiles({ key: item.key, left: item.left, right: files }, check);
  }

  /** Kept keys the listing lacks: reported once a second look confirms, and with `fix` forgotten by their records. */
  async #keptMissing(kept: readonly CatalogKeptEntry[], driver: StorageDriver): Promise<void> {
    await this.#pool.run(async () => {
      const [first] = kept as [CatalogKeptEntry];
      if (!(await confirmMissing(driver, first.key, this.#tally))) return;
      for (const { key, position, record } of kept) {
        // Positions stay the files' (fix-kept.ts forgets a key only from the end of its copy).
        const size = record.files[position]?.size ?? 0;
        this.#tally.kept.missing.add(size, () => ({ key, path: record.path, resultId: record.id }));
        if (this.#plan.fix) await forgetKeptKey(this.#context.catalog, this.#plan.target, record.id, key, this.#tally);
      }
    });
  }

  /** A matched key, or recorded files the listing lacks. */
  async #compareFiles(item: Joined<ListEntry, CatalogFileEntry>, check: CheckTarget): Promise<void> {
    const [recorded] = item.right as [CatalogFileEntry];
    for (const entry of item.right) this.#recorded(entry);
    if (item.left) {
      const listed = item.left;
      this.#listed(listed);
      await this.#pool.run(() => checkObject(check, this.#plan, listed, recorded, this.#tally));
      return;
    }
    const { driver } = check;
    await this.#pool.run(async () => {
      if (!(await confirmMissing(driver, recorded.key, this.#tally))) return;
      const { file, record } = recorded;
      this.#tally.missing.add(file.size, () => ({
        key: recorded.key,
        path: file.path,
        resultId: record.id,
        state: record.state,
      }));
      if (!this.#plan.fix) return;
      await fixMissing(
        { catalog: this.#context.catalog, target: this.#plan.target, resultsRoot: this.#context.resultsDisk.root },
        record.id,
        recorded.key,
        this.#tally,
      );
      this.#context.requeued?.();
    });
  }

  /** For the results disk as the target: compares, and passes on the files no local record serves. */
  async *#unrecorded(joined: AsyncIterable<Joined<ListEntry, RecordedKey>>, check: CheckTarget) {
    for await (const item of joined) {
      if (this.#stopped()) return;
      this.#progress();
      if (item.right.length > 0) await this.#compare(item, check);
      else {
        this.#listed(item.left as ListEntry);
        yield item.left as ListEntry;
      }
    }
  }

  /** Files of `listing` (the results disk) that no live record names, by a merge-join with every recorded path. */
  async #unknownLocalFiles(listing: AsyncIterable<ListEntry>): Promise<void> {
    const joined = mergeJoin(
      { items: listing, keyOf: (entry: ListEntry) => entry.key, name: 'the listing of the results disk' },
      {
        items: this.#context.catalog.listPaths(),
        keyOf: (entry) => entry.path,
        name: "the catalog's paths",
      },
      { untilLeftEnds: true },
    );
    for await (const item of joined) {
      if (this.#stopped()) return;
      if (!item.left || item.right.length > 0) continue;
      const file = item.left;
      this.#tally.unknownLocalFiles.add(file.size, () => unrecordedSample(file));
      this.#progress();
    }
  }

  async *#listing(driver: StorageDriver): AsyncGenerator<ListEntry> {
    for await (const entry of driver.list('', { pageSize: LISTING_PAGE, signal: this.#signal })) {
      if (!entry.key.startsWith(PROBE_KEY_PREFIX)) yield entry;
    }
  }

  async #abortUploads(driver: StorageDriver): Promise<void> {
    this.#phase = 'uploads';
    this.#progress(true);
    const swept = await driver.sweepIncompleteUploads({ olderThanMs: this.#plan.graceMs, signal: this.#signal });
    this.#tally.fixes.uploadsAborted += swept.aborted;
    this.#tally.fixes.uploadAbortsFailed += swept.failed.length;
  }

  #listed(entry: ListEntry): void {
    this.#tally.listed.objects++;
    this.#tally.listed.bytes += entry.size;
  }

  #recorded(entry: CatalogFileEntry): void {
    this.#tally.recorded.files++;
    this.#tally.recorded.bytes += entry.file.size;
  }

  #stopped(): boolean {
    return this.#signal.aborted;
  }

  #progress(force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < PROGRESS_EVERY_MS) return;
    this.#lastProgress = now;
    const tally = this.#tally;
    const progress: ReconcileProgress = {
      jobId: this.#run.jobId,
      target: this.#plan.target,
      phase: this.#phase,
      listed: tally.listed.objects,
      recorded: tally.recorded.files,
      orphans: tally.orphans.count,
      missing: tally.missing.count,
      mismatched: tally.mismatched.count,
      unknownLocalFiles: tally.unknownLocalFiles.count,
      elapsedMs: Math.round(now - this.#started),
    };
    this.#run.onProgress?.(progress);
    emitSafely(this.#context.events, this.#context.logger, 'reconcile:progress', progress);
  }

  #report(backend: string, state: ReconcileReport['state']): ReconcileReport {
    const tally = this.#tally;
    return {
      jobId: this.#run.jobId,
      state,
      target: this.#plan.target,
      backend,
      fix: this.#plan.fix,
      deep: this.#plan.deep,
      graceMs: this.#plan.graceMs,
      listed: { ...tally.listed },
      recorded: { ...tally.recorded },
      orphans: tally.orphans.toJSON(),
      missing: tally.missing.toJSON(),
      keptCopies: { recorded: tally.kept.recorded, missing: tally.kept.missing.toJSON() },
      mismatched: { ...tally.mismatched.toJSON(), byReason: { ...tally.byReason } },
      unknownLocalFiles: tally.unknownLocalFiles.toJSON(),
      unchecked: tally.unchecked.toJSON(),
      fixes: this.#plan.fix ? { ...tally.fixes } : undefined,
      durationMs: Math.round(performance.now() - this.#started),
    };
  }
}

function unrecordedSample(entry: ListEntry) {
  return { key: entry.key, size: entry.size, lastModified: entry.lastModified.toISOString() };
}
