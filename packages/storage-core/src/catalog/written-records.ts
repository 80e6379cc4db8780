import type { ResultRecord } from './types.js';

/** Records kept, a bound that holds every offload in flight many times over. */
const MAX_RECORDS = 1024;

/**
 * The records a catalog committed last, by id, so that an update of one at
 * the version it wrote need not read the record back (an offload's outcome
 * follows its own intent). Sound because a version is written by one commit
 * only (every change bumps it inside a transaction) and the update's
 * `WHERE version = ?` proves the row is still at that version; the one change
 * that keeps the version, a lease renewal, forgets the record. Remember only
 * what committed. Shared by the Catalog implementations.
 */
export class WrittenRecords {
  readonly #records = new Map<string, ResultRecord>();

  /** The record as committed at `version`, or undefined when not known here. */
  at(id: string, version: number): ResultRecord | undefined {
    const record = this.#records.get(id);
    return record?.version === version ? record : undefined;
  }

  /** Keeps `record`, committed just now, in place of any older version of it. */
  remember(record: ResultRecord): void {
    this.#records.delete(record.id); // re-inserted last, so the oldest is the first in the map
    this.#records.set(record.id, record);
    if (this.#records.size > MAX_RECORDS) this.#records.delete(this.#records.keys().next().value as string);
  }

  /** Drops what is known of record `id`: it changed without a new version, or an update of it failed. */
  forget(id: string): void {
    this.#records.delete(id);
  }
}
