/**
 * Outages, for both the "s3" and the "r2" registry definitions at once, through
 * toxiproxy in front of the file's own MinIO:
 * - MinIO killed (SIGKILL) in the middle of a batch and started again on the
 *   same port and data directory: uploads in flight die with it, parts of
 *   multipart uploads stay on its disk;
 * - an outage far longer than every retry (the driver's, and the worker's
 *   first rounds): the results stay local with a retryable code, pending in
 *   the catalog, and the worker sends them by itself once the backend is back.
 * Each ends with the audit of tests/support/fault-audit.ts (docs/testing.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { OffloadOutcome } from '../packages/storage-core/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import {
  addResults,
  auditScenario,
  expectLocalAndRetryable,
  offloadPresent,
  type Results,
} from './support/fault-audit.js';
import { DEFINITIONS, faultRig, MULTIPART_SIZE, openScenario, type Scenario } from './support/fault-rig.js';
import { eventually } from './support/fixture.js';
import { watchProcessErrors } from './support/process-errors.js';

const rig = faultRig('fault-outages', await fileToxiproxy());
const errors = watchProcessErrors();

/** A batch: mostly small results, two above the multipart threshold. */
const BATCH = [
  20_000,
  MULTIPART_SIZE,
  90_000,
  300_000,
  5_000,
  MULTIPART_SIZE + 100_000,
  150_000,
  60_000,
  1_000_000,
  40_000,
];

const FAST_RETRY = { firstDelayMs: 300, maxDelayMs: 1000, jitter: 0.2 };

/** One definition's scenario, its results and its first pass. */
interface Lane {
  readonly scenario: Scenario;
  readonly results: Results;
  first: Map<string, OffloadOutcome>;
  failed: number;
}

/** A scenario per definition, each with the batch written on its results disk. */
async function openLanes(prefix: string, storage = {}): Promise<Lane[]> {
  return Promise.all(
    DEFINITIONS.map(async (definition) => {
      const scenario = await openScenario(rig(), definition, `${prefix}-${definition}`, { storage });
      return { scenario, results: await addResults(scenario.ws, 'batch', BATCH), first: new Map(), failed: 0 };
    }),
  );
}

function count(outcomes: Map<string, OffloadOutcome>, status: OffloadOutcome['status']): number {
  return [...outcomes.values()].filter((outcome) => outcome.status === status).length;
}

describe('offload through outages (s3 and r2 definitions, the file’s own MinIO)', () => {
  it('MinIO killed mid-batch and started again on the same port and data: nothing lost, nothing left open', async () => {
    const r = rig();
    const lanes = await openLanes('restart');
    try {
      let stored = 0;
      for (const { scenario } of lanes) {
        // Some latency, so the kill lands while uploads are in flight rather than between them.
        await scenario.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 40, jitter: 20 } });
        await scenario.proxy.addToxic({
          type: 'latency',
          stream: 'downstream',
          attributes: { latency: 40, jitter: 20 },
        });
        scenario.storage.events.on('offload:stored', () => stored++);
      }
      const batch = Promise.all(
        lanes.map(async (lane) => {
          lane.first = await offloadPresent(lane.scenario.storage, lane.scenario.ws, lane.results);
        }),
      );
      await eventually(async () => stored >= 2, 20_000, 'two results stored before the kill');
      const storedBeforeKill = stored;
      await r.minio.kill('SIGKILL');
      await sleep(1500);
      await r.minio.start();
      await batch;

      const locals = lanes.reduce((sum, lane) => sum + count(lane.first, 'local'), 0);
      expect(locals, 'results the kill kept local').toBeGreaterThan(0);
      for (const lane of lanes) await expectLocalAndRetryable(lane.scenario.ws, lane.results, lane.first);
      const openAfterKill = (await r.view.view('restart-')).openUploads.length;

      for (const { scenario, results, first } of lanes) {
        await scenario.proxy.removeAllToxics();
        const storage = await scenario.reopen();
        const recovered = await storage.recover();
        const second = await offloadPresent(storage, scenario.ws, results);
        expect(count(second, 'local'), `${scenario.definition}: still local after the restart`).toBe(0);
        const swept = await storage.sweep({ olderThanMs: 0 });
        const name = `${scenario.definition} / MinIO restart`;
        const figures = await auditScenario(r, { ...scenario, storage, name }, results, errors);
        expect(figures.local).toBe(0);
        console.log(
          `[fault-outages] ${name}: stored before the kill ${storedBeforeKill} (both), first pass local ${count(first, 'local')}/${BATCH.length}, open uploads after the kill ${openAfterKill} (both); recovery adopted ${recovered.adopted}, requeued ${recovered.requeued}; swept ${swept.aborted}`,
        );
      }
    } finally {
      await Promise.all(lanes.map((lane) => lane.scenario.close()));
    }
  }, 60_000);

  it('an outage longer than every retry: results stay local and pending, then the worker sends them', async () => {
    const r = rig();
    const lanes = await openLanes('outage', { retry: FAST_RETRY });
    try {
      for (const { scenario } of lanes) await scenario.proxy.disable();
      await Promise.all(
        lanes.map(async (lane) => {
          lane.first = await offloadPresent(lane.scenario.storage, lane.scenario.ws, lane.results);
        }),
      );
      for (const lane of lanes) {
        const { scenario } = lane;
        expect(count(lane.first, 'local'), `${scenario.definition}: local during the outage`).toBe(BATCH.length);
        await expectLocalAndRetryable(scenario.ws, lane.results, lane.first);
        // Refused connections prove nothing was stored: scheduled for the worker, no intent left for recovery.
        for await (const record of scenario.storage.catalog?.list() ?? []) {
          const seen = {
            path: record.path,
            state: record.state,
            intent: record.intent,
            due: record.dueAt !== undefined,
          };
          expect(seen).toEqual({ path: record.path, state: 'pending', intent: undefined, due: true });
        }
        scenario.storage.events.on('offload:failed', () => lane.failed++);
        scenario.storage.startWorker({ pollIntervalMs: 100 });
      }
      // The outage outlasts the worker's first rounds too: every result fails again at least once.
      await eventually(
        async () => lanes.every((lane) => lane.failed >= BATCH.length),
        20_000,
        'the worker retried every result during the outage',
      );
      for (const { scenario } of lanes) await scenario.proxy.enable();
      for (const { scenario } of lanes) {
        await eventually(
          async () => {
            for await (const record of scenario.storage.catalog?.list() ?? [])
              if (record.state !== 'offloaded') return false;
            return true;
          },
          30_000,
          `${scenario.definition}: the worker sent every result after the outage`,
        );
        await scenario.storage.stopWorker();
      }
      for (const { scenario, results, failed } of lanes) {
        const swept = await scenario.storage.sweep({ olderThanMs: 0 });
        const name = `${scenario.definition} / long outage`;
        const figures = await auditScenario(r, { ...scenario, name }, results, errors);
        expect(figures.offloaded).toBe(BATCH.length);
        console.log(
          `[fault-outages] ${name}: ${BATCH.length} local during it, worker attempts failed during it ${failed}, all offloaded after; swept ${swept.aborted}`,
        );
      }
    } finally {
      await Promise.all(lanes.map((lane) => lane.scenario.close()));
    }
  }, 60_000);
});
