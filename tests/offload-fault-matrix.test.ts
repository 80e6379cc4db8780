/**
 * The fault matrix: every fault below, on the response side and on the
 * request side, through a real toxiproxy in front of a real MinIO, for both
 * the "s3" and the "r2" registry definitions, with small results and one above
 * the multipart threshold. A scenario offloads its batch under the fault,
 * checks what the fault must do (struck, server acted or not, results local
 * with a retryable code), clears the fault, restarts the app (Storage) as a
 * deploy would, lets recovery adopt or clean up the uncertain uploads,
 * offloads again what is still local, sweeps, and ends with the audit of
 * tests/support/fault-audit.ts. docs/testing.md has the table.
 */
import { describe, expect, it } from 'vitest';
import type { OffloadOutcome } from '../packages/storage-core/src/index.js';
import type { ToxicOptions } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { addResults, auditScenario, expectLocalAndRetryable, offloadPresent } from './support/fault-audit.js';
import { DEFINITIONS, type FaultRig, faultRig, MULTIPART_SIZE, openScenario } from './support/fault-rig.js';
import { watchProcessErrors } from './support/process-errors.js';

const rig = faultRig('fault-matrix', await fileToxiproxy());
const errors = watchProcessErrors();

/** Two single-PUT results and one multipart (two parts). */
const SIZES = [48 * 1024, 700 * 1024, MULTIPART_SIZE];

/** What a fault does to the first offload of the batch. */
type Expect =
  /** Every result stays local with a retryable code. */
  | 'all-local'
  /** At least one result stays local; the others are offloaded. */
  | 'some-local'
  /** The fault slows or splits traffic only: every result is offloaded. */
  | 'all-offloaded';

interface Fault {
  readonly name: string;
  readonly toxics: readonly ToxicOptions[];
  readonly expect: Expect;
  /** The request reached MinIO and was acted on although its response was lost: objects exist during the fault. */
  readonly serverActs?: boolean;
}

const FAULTS: readonly Fault[] = [
  {
    name: 'downstream limit_data: every response cut after the server acted',
    toxics: [{ type: 'limit_data', stream: 'downstream', attributes: { bytes: 0 } }],
    expect: 'all-local',
    serverActs: true,
  },
  {
    name: 'downstream reset_peer: connections reset 100 ms in',
    toxics: [{ type: 'reset_peer', stream: 'downstream', attributes: { timeout: 100 } }],
    expect: 'some-local',
  },
  {
    name: 'downstream timeout: responses swallowed, connection closed after 1.5 s',
    toxics: [{ type: 'timeout', stream: 'downstream', attributes: { timeout: 1500 } }],
    expect: 'all-local',
    serverActs: true,
  },
  {
    name: 'slicer both ways: packets split small with delays',
    toxics: [
      { type: 'slicer', stream: 'upstream', attributes: { average_size: 2048, size_variation: 1024, delay: 20 } },
      { type: 'slicer', stream: 'downstream', attributes: { average_size: 64, size_variation: 48, delay: 200 } },
    ],
    expect: 'all-offloaded',
  },
  {
    name: 'latency with jitter both ways',
    toxics: [
      { type: 'latency', stream: 'upstream', attributes: { latency: 150, jitter: 150 } },
      { type: 'latency', stream: 'downstream', attributes: { latency: 300, jitter: 250 } },
    ],
    expect: 'all-offloaded',
  },
  {
    name: 'upstream limit_data: requests cut mid-body after 256 KiB',
    toxics: [{ type: 'limit_data', stream: 'upstream', attributes: { bytes: 256 * 1024 } }],
    expect: 'some-local',
  },
  {
    name: 'upstream reset_peer: every connection reset at once',
    toxics: [{ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } }],
    expect: 'all-local',
  },
  {
    name: 'upstream timeout: requests swallowed, connection closed after 1 s',
    toxics: [{ type: 'timeout', stream: 'upstream', attributes: { timeout: 1000 } }],
    expect: 'all-local',
  },
];

function checkFirstPass(fault: Fault, outcomes: Map<string, OffloadOutcome>, label: string): void {
  const local = [...outcomes.values()].filter((outcome) => outcome.status === 'local').length;
  if (fault.expect === 'all-local') expect(local, `${label}: results kept local`).toBe(outcomes.size);
  if (fault.expect === 'some-local') expect(local, `${label}: results kept local`).toBeGreaterThan(0);
  if (fault.expect === 'all-offloaded') expect(local, `${label}: results kept local`).toBe(0);
}

async function runScenario(r: FaultRig, fault: Fault, definition: (typeof DEFINITIONS)[number], index: number) {
  const prefix = `matrix-${index}-${definition}`;
  const label = `${definition} / ${fault.name}`;
  const scenario = await openScenario(r, definition, prefix);
  try {
    const results = await addResults(scenario.ws, 'results', SIZES);
    for (const toxic of fault.toxics) await scenario.proxy.addToxic(toxic);
    const first = await offloadPresent(scenario.storage, scenario.ws, results);
    checkFirstPass(fault, first, label);
    await expectLocalAndRetryable(scenario.ws, results, first);
    const during = await r.view.view(`${prefix}/`);
    if (fault.serverActs) expect(during.objects.length, `${label}: MinIO stored objects`).toBeGreaterThan(0);

    await scenario.proxy.removeAllToxics();
    // A deploy after the fault: the old process's uploads wind down, the new one recovers what they left.
    const storage = await scenario.reopen();
    const recovered = await storage.recover();
    const second = await offloadPresent(storage, scenario.ws, results);
    for (const [path, outcome] of second)
      expect({ path, status: outcome.status }).toMatchObject({ status: 'offloaded' });
    const openBefore = (await r.view.view(`${prefix}/`)).openUploads.length;
    const swept = await storage.sweep({ olderThanMs: 0 });
    const figures = await auditScenario(r, { ...scenario, storage, name: label }, results, errors);
    expect(figures.local, `${label}: results still local once the fault cleared`).toBe(0);
    const codes = [...first.values()].map((outcome) => outcome.error?.code ?? 'ok').join(',');
    console.log(
      `[fault-matrix] ${label}: first pass ${codes}; objects during the fault ${during.objects.length}, uploads open ${during.openUploads.length}; recovery adopted ${recovered.adopted}, requeued ${recovered.requeued}; open before sweep ${openBefore}, swept ${swept.aborted}`,
    );
  } finally {
    await scenario.close();
  }
}

describe.concurrent('offload fault matrix (toxiproxy in front of MinIO, s3 and r2 definitions)', () => {
  it.each(FAULTS.map((fault, index) => ({ ...fault, index })))('$name', async (fault) => {
    const r = rig();
    await Promise.all(DEFINITIONS.map((definition) => runScenario(r, fault, definition, fault.index)));
  });
});
