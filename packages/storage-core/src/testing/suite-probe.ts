import { describe, expect, it } from 'vitest';
import { PROBE_KEY_PREFIX } from '../probe.js';
import { listKeys, type SuiteContext } from './suite-context.js';

/** The "test connection" probe against a working backend. */
export function describeProbe(ctx: SuiteContext): void {
  describe('probe', () => {
    it('passes every step against a working backend and leaves no probe object behind', async () => {
      const driver = ctx.driver();
      const report = await driver.probe();
      expect(report.ok, report.message).toBe(true);
      expect(report.driver).toBe(driver.kind);
      expect(report.failedStep).toBeUndefined();
      const steps = report.steps.map((step) => step.step);
      expect(steps).toEqual(expect.arrayContaining(['write', 'read', 'compare', 'delete']));
      expect(report.steps.every((step) => step.ok)).toBe(true);
      expect(await listKeys(driver, PROBE_KEY_PREFIX)).toEqual([]);
    });
  });
}
