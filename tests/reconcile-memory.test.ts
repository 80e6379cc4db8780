/**
 * Reconcile of 100,000 objects with memory bounded: a child process (started
 * with --expose-gc) fills an in-memory backend and a catalog, then samples
 * its heap after a full GC while reconcile runs. The bound is a ratio against
 * baselines measured in the same run: what holding the listing whole takes,
 * and what holding the catalog side whole takes. Holding either side would
 * break it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'fixtures', 'reconcile-memory-child.mjs');

interface ChildReport {
  readonly report: {
    readonly listed: { readonly objects: number };
    readonly recorded: { readonly files: number };
    readonly orphans: number;
    readonly missing: number;
    readonly mismatched: number;
    readonly unchecked: number;
  };
  readonly heap: {
    readonly peak: number;
    readonly samples: number;
    readonly wholeListing: { readonly entries: number; readonly bytes: number };
    readonly wholeCatalog: { readonly entries: number; readonly bytes: number };
  };
}

describe('reconcile of 100,000 objects', () => {
  it('keeps its heap under half of what holding either side whole takes', { timeout: 180_000 }, async () => {
    const config = {
      objects: 100_000,
      variants: ['thumb', 'small', 'large'],
      orphans: 100,
      missing: 100,
      mismatched: 50,
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD, JSON.stringify(config)], {
      maxBuffer: 1024 * 1024,
    });
    const { report, heap } = JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildReport;

    expect(report).toEqual({
      listed: { objects: 100_000, bytes: expect.any(Number) },
      recorded: { files: 100_000, bytes: expect.any(Number) },
      orphans: 100,
      missing: 100,
      mismatched: 50,
      unchecked: 0,
      orphanSample: 20,
    });
    expect(heap.wholeListing.entries).toBe(100_000);
    expect(heap.wholeCatalog.entries).toBe(100_000);
    expect(heap.samples).toBeGreaterThanOrEqual(5);
    const figures = `peak ${heap.peak} B; whole listing ${heap.wholeListing.bytes} B; whole catalog side ${heap.wholeCatalog.bytes} B`;
    expect(heap.peak, figures).toBeLessThan(heap.wholeListing.bytes / 2);
    expect(heap.peak, figures).toBeLessThan(heap.wholeCatalog.bytes / 2);
  });
});
