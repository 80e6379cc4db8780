import { randomUUID } from 'node:crypto';
import type { Catalog, NewResultRecord, ResultFile } from '../../catalog/types.js';

/** How `describeCatalogConformance` gets catalogs to test. */
export interface CatalogConformanceOptions {
  /** Returns a new, empty catalog (a new file, a new schema). May be called several times per suite. */
  createCatalog(): Promise<Catalog>;
  /**
   * Opens a second, independent connection to the same store as `catalog` (another database
   * handle or pool), so the suite can race two of them as two processes would.
   */
  openAnother(catalog: Catalog): Promise<Catalog>;
  /** Removes what `createCatalog` made. Called after `catalog.close()`. */
  destroyCatalog?(catalog: Catalog): Promise<void>;
}

/** What each section gets. */
export interface CatalogSuiteContext {
  readonly options: CatalogConformanceOptions;
  /** The shared catalog of the suite; only valid inside tests. */
  catalog(): Catalog;
  /** A fresh empty catalog for tests that count everything; closed and destroyed after the suite. */
  fresh(): Promise<Catalog>;
  /** A second connection to `catalog`; closed after the suite. */
  another(catalog: Catalog): Promise<Catalog>;
  /** A path prefix no other test uses, e.g. "claims-3f2a9c1e/". */
  scope(label: string): string;
}

/** A well-formed new record for `path`, stored in `targetId` under the same key. */
export function newRecord(path: string, overrides: Partial<NewResultRecord> = {}): NewResultRecord {
  const targetId = overrides.targetId ?? 'local';
  const key = overrides.key ?? path;
  const files: ResultFile[] = overrides.files
    ? [...overrides.files]
    : [{ name: '', path, key, size: 100, sha256: 'a'.repeat(64), contentType: 'image/png' }];
  return {
    path,
    state: 'local',
    targetId,
    key,
    location: `${targetId === 'local' ? 'local' : targetId.split('.')[0]}:${key}`,
    files,
    localCopy: true,
    ...overrides,
  };
}

/** A unique id for an attempt. */
export function attemptId(): string {
  return randomUUID();
}
