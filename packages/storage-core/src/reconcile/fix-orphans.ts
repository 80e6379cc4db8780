/**
 * Fix mode for orphans: objects that no live record points to. One is
 * deleted only when all of these hold, checked in this order right before
 * the delete (in batches, so memory stays bounded):
 * - it is older than the grace period (its listing's lastModified), so an
 *   upload that has not been recorded yet is never taken for an orphan;
 * - still no live record points to it nor keeps it as a copy (one may have
 *   been committed since the catalog was read: an offload, a migration that
 *   kept its source, or recovery adopting an upload);
 * - no intent in the catalog names it: an offload, migration or recovery in
 *   flight (or abandoned and awaiting recovery) may still record it;
 * - Stowage wrote it: it carries the `stowage-attempt` metadata every write of
 *   offload and migrate adds. A bucket may hold other things than Stowage's
 *   (another app's files, objects from before), and those are reported as
 *   orphans but never deleted.
 * The checks run under a removal claim on the batch, so an offload that
 * adopts one of these objects (its templated key already holds its very
 * bytes) meanwhile is seen or waits (catalog/removal-claims.ts).
 */
import { entryAtKey } from '../catalog/entry-at-key.js';
import { keysNamedByIntents, underRemovalClaim } from '../catalog/removal-claims.js';
import type { Catalog } from '../catalog/types.js';
import { ErrorCode, isStorageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ATTEMPT_METADATA_KEY } from '../offload/send-file.js';
import type { ListEntry, StorageDriver } from '../types.js';
import type { ReconcileTally } from './report.js';

/** Orphans deleted per batch (and per DeleteObjects request). */
const BATCH = 100;

/** Collects deletable orphans and deletes them in checked batches. */
export class OrphanRemover {
  readonly #catalog: Catalog;
  readonly #driver: StorageDriver;
  readonly #target: string;
  readonly #graceMs: number;
  readonly #tally: ReconcileTally;
  readonly #logger: Logger;
  #batch: string[] = [];

  constructor(options: {
    catalog: Catalog;
    driver: StorageDriver;
    target: string;
    graceMs: number;
    tally: ReconcileTally;
    logger: Logger;
  }) {
    this.#catalog = options.catalog;
    this.#driver = options.driver;
    this.#target = options.target;
    this.#graceMs = options.graceMs;
    this.#tally = options.tally;
    this.#logger = options.logger;
  }

  /** Takes an orphan: kept when too young, else deleted with its batch. */
  async consider(orphan: ListEntry): Promise<void> {
    if (Date.now() - orphan.lastModified.getTime() < this.#graceMs) {
      this.#tally.fixes.orphansKeptYoung++;
      return;
    }
    this.#batch.push(orphan.key);
    if (this.#batch.length >= BATCH) await this.flush();
  }

  /**
   * Checks and deletes the orphans taken so far, under a removal claim taken
   * before the checks: an offload adopting one of them meanwhile either shows
   * in the checks or sees the claim (catalog/removal-claims.ts).
   */
  async flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    await underRemovalClaim(this.#catalog, this.#target, batch, () => this.#checkAndDelete(batch));
  }

  async #checkAndDelete(batch: readonly string[]): Promise<void> {
    const unrecorded: string[] = [];
    for (const key of batch) {
      if (await this.#recorded(key)) this.#tally.fixes.orphansRecordedMeanwhile++;
      else unrecorded.push(key);
    }
    const named = await keysNamedByIntents(this.#catalog, this.#target, unrecorded);
    const unclaimed = unrecorded.filter((key) => !named.has(key));
    this.#tally.fixes.orphansKeptInFlight += unrecorded.length - unclaimed.length;
    const doomed: string[] = [];
    for (const key of unclaimed) {
      if (await this.#writtenByStowage(key)) doomed.push(key);
      else this.#tally.fixes.orphansKeptForeign++;
    }
    if (doomed.length === 0) return;
    const result = await this.#driver.deleteMany(doomed);
    this.#tally.fixes.orphansDeleted += result.deleted.length;
    this.#tally.fixes.orphanDeletesFailed += result.failed.length;
    this.#logger.info(
      { target: this.#target, deleted: result.deleted.length, failed: result.failed.length, first: doomed[0] },
      'reconcile deleted orphans (objects no record points to, older than the grace period)',
    );
  }

  /** True when the object carries the attempt id Stowage writes on every object it stores. */
  async #writtenByStowage(key: string): Promise<boolean> {
    try {
      return (await this.#driver.stat(key)).metadata[ATTEMPT_METADATA_KEY] !== undefined;
    } catch (error) {
      if (isStorageError(error, ErrorCode.NotFound)) return false;
      throw error;
    }
  }

  /** True when a live record points to `key` in the target now, or keeps a copy there under it. */
  async #recorded(key: string): Promise<boolean> {
    const catalog = this.#catalog;
    const target = this.#target;
    return (
      (await entryAtKey((options) => catalog.listFiles(target, options), key)) !== undefined ||
      (await entryAtKey((options) => catalog.listKeptCopies(target, options), key)) !== undefined
    );
  }
}
