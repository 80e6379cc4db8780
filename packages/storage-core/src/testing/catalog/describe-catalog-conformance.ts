import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Catalog } from '../../catalog/types.js';
import type { CatalogConformanceOptions, CatalogSuiteContext } from './context.js';
import { describeClaims } from './suite-claims.js';
import { describeJobs } from './suite-jobs.js';
import { describeKeptCopies } from './suite-kept-copies.js';
import { describeListing } from './suite-listing.js';
import { describeRecords } from './suite-records.js';
import { describeRemovalClaims } from './suite-removal-claims.js';
import { describeUpdates } from './suite-updates.js';

/**
 * Registers the catalog conformance suite as vitest tests under
 * `"<name> catalog conformance"`. One shared catalog serves most tests (each
 * works under its own path prefix); tests that count everything get a fresh
 * one. Nothing is optional: every implementation proves every rule.
 */
export function describeCatalogConformance(name: string, options: CatalogConformanceOptions): void {
  if (typeof options?.createCatalog !== 'function' || typeof options.openAnother !== 'function') {
    throw new TypeError('describeCatalogConformance: options.createCatalog and options.openAnother must be functions');
  }
  let shared: Catalog | undefined;
  const created: Catalog[] = [];
  const connections: Catalog[] = [];
  const ctx: CatalogSuiteContext = {
    options,
    catalog() {
      if (!shared) throw new Error('the catalog under test was not created (createCatalog failed in beforeAll)');
      return shared;
    },
    async fresh() {
      const catalog = await options.createCatalog();
      created.push(catalog);
      return catalog;
    },
    async another(catalog) {
      const connection = await options.openAnother(catalog);
      connections.push(connection);
      return connection;
    },
    scope(label) {
      return `${label}-${randomUUID().slice(0, 8)}/`;
    },
  };

  describe(`${name} catalog conformance`, () => {
    beforeAll(async () => {
      shared = await ctx.fresh();
    });

    afterAll(async () => {
      await Promise.all(connections.splice(0).map((connection) => connection.close()));
      for (const catalog of created.splice(0)) {
        await catalog.close();
        await options.destroyCatalog?.(catalog);
      }
      shared = undefined;
    });

    describeRecords(ctx);
    describeUpdates(ctx);
    describeClaims(ctx);
    describeListing(ctx);
    describeKeptCopies(ctx);
    describeJobs(ctx);
    describeRemovalClaims(ctx);
  });
}
