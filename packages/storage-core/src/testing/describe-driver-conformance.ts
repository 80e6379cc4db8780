import { afterAll, beforeAll, describe } from 'vitest';
import type { StorageDriver } from '../types.js';
import { type ConformanceOptions, resolveConformanceOptions } from './options.js';
import { describeConditionalWrites } from './suite-conditional.js';
import { createSuiteContext } from './suite-context.js';
import { describeCopyMove } from './suite-copy-move.js';
import { describeIncompleteUploads } from './suite-incomplete-uploads.js';
import { describeInvalidKeys } from './suite-invalid-keys.js';
import { describeKeys } from './suite-keys.js';
import { describeListing } from './suite-listing.js';
import { describeMetadata } from './suite-metadata.js';
import { describeMissingAndDelete } from './suite-missing.js';
import { describeProbe } from './suite-probe.js';
import { describeRanges } from './suite-ranges.js';
import { describeTransferControl } from './suite-transfer-control.js';
import { describeUrls } from './suite-urls.js';
import { describeWriteRead } from './suite-write-read.js';

/**
 * Registers the shared driver conformance suite as vitest tests under
 * `"<name> driver conformance"`. One driver is created for the whole suite (it
 * must start empty); every test works under its own unique key prefix. Parts
 * that depend on capabilities (presigned and public URLs) check for UNSUPPORTED
 * when the driver says it lacks them, so nothing is ever skipped.
 */
export function describeDriverConformance(name: string, options: ConformanceOptions): void {
  const resolved = resolveConformanceOptions(options);
  let driver: StorageDriver | undefined;
  const ctx = createSuiteContext(resolved, () => driver);

  describe(`${name} driver conformance`, () => {
    beforeAll(async () => {
      driver = await resolved.createDriver();
    });

    afterAll(async () => {
      if (!driver) return;
      const created = driver;
      driver = undefined;
      await created.close();
      await resolved.destroyDriver?.(created);
    });

    describeWriteRead(ctx);
    describeMetadata(ctx);
    describeKeys(ctx);
    describeListing(ctx);
    describeRanges(ctx);
    describeConditionalWrites(ctx);
    describeMissingAndDelete(ctx);
    describeInvalidKeys(ctx);
    describeTransferControl(ctx);
    describeCopyMove(ctx);
    describeUrls(ctx);
    describeProbe(ctx);
    describeIncompleteUploads(ctx);
  });
}
