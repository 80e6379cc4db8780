/**
 * The end of every fault scenario: after the faults are gone and the protocol
 * has had its say (recovery, re-offload, sweep), no result is lost, no
 * multipart upload is open, no object in the scenario's prefix is one that no
 * record knows, and nothing went unhandled in the process. Checked against
 * MinIO straight (past the proxy) and the real results disk.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import type { OffloadOutcome, ResultRecord, Storage } from '../../packages/storage-core/src/index.js';
import type { FaultRig } from './fault-rig.js';
import { fileSha256, type Workspace } from './fixture.js';
import type { ProcessErrors } from './process-errors.js';

/** Results a scenario made: path to the SHA-256 of the bytes written. */
export type Results = Map<string, string>;

/** Writes results of the given sizes under `dir/` and returns them with their SHA-256. */
export async function addResults(ws: Workspace, dir: string, sizes: readonly number[]): Promise<Results> {
  const results: Results = new Map();
  const kinds = ['png', 'jpg', 'webp', 'mp4'];
  for (const [index, size] of sizes.entries()) {
    const path = `${dir}/${index}.${kinds[index % kinds.length]}`;
    results.set(path, await ws.addResult(path, size));
  }
  return results;
}

/** Offloads every result whose file is still on the results disk, all at once; outcomes by path. */
export async function offloadPresent(storage: Storage, ws: Workspace, results: Results) {
  const present: string[] = [];
  for (const path of results.keys())
    if ((await fileSha256(join(ws.resultsRoot, path))) !== undefined) present.push(path);
  const outcomes = await Promise.all(present.map((path) => storage.offload({ path })));
  return new Map(present.map((path, index) => [path, outcomes[index] as OffloadOutcome]));
}

/** A result that stayed local must still be intact on the results disk and carry a retryable error. */
export async function expectLocalAndRetryable(ws: Workspace, results: Results, outcomes: Map<string, OffloadOutcome>) {
  for (const [path, outcome] of outcomes) {
    if (outcome.status !== 'local') continue;
    expect(outcome.localDeleted, path).toBe(false);
    expect(await fileSha256(join(ws.resultsRoot, path)), `${path} stays intact locally`).toBe(results.get(path));
    expect({ path, code: outcome.error?.code, retryable: outcome.error?.retryable }).toMatchObject({
      retryable: true,
    });
  }
}

/** What the audit counted, for the figures a scenario prints. */
export interface AuditFigures {
  readonly offloaded: number;
  readonly local: number;
  readonly objects: number;
}

/**
 * The end assertions: every result is either verified at its recorded
 * location (bytes hashed on MinIO) or intact on local disk; no open multipart
 * upload under the prefix; no object under the prefix that no offloaded
 * record names; nothing unhandled. Run after `storage.sweep()`.
 */
export async function auditScenario(
  rig: FaultRig,
  scenario: { readonly ws: Workspace; readonly storage: Storage; readonly prefix: string; readonly name: string },
  results: Results,
  errors: ProcessErrors,
): Promise<AuditFigures> {
  const { ws, storage, prefix, name } = scenario;
  const records = new Map<string, ResultRecord>();
  for await (const record of storage.catalog?.list() ?? []) records.set(record.path, record);
  const view = await rig.view.view(`${prefix}/`);
  const stored = new Map(view.objects.map((object) => [object.key, object]));

  const known = new Set<string>();
  for (const record of records.values()) {
    if (record.state !== 'offloaded') continue;
    for (const file of record.files) known.add(`${prefix}/${file.key}`);
  }
  let offloaded = 0;
  let local = 0;
  for (const [path, sha256] of results) {
    const record = records.get(path);
    const onDisk = await fileSha256(join(ws.resultsRoot, path));
    const remote = record?.state === 'offloaded' ? stored.get(`${prefix}/${record.key}`) : undefined;
    if (record?.state === 'offloaded') {
      offloaded++;
      expect(remote?.sha256, `${name}: ${path} recorded offloaded, bytes at ${record.location}`).toBe(sha256);
    } else {
      local++;
    }
    if (onDisk !== undefined) expect(onDisk, `${name}: ${path} on local disk unchanged`).toBe(sha256);
    expect(onDisk !== undefined || remote?.sha256 === sha256, `${name}: ${path} lost`).toBe(true);
  }
  expect(view.openUploads, `${name}: multipart uploads open after the sweep`).toEqual([]);
  const unknown = view.objects.map((object) => object.key).filter((key) => !known.has(key));
  expect(unknown, `${name}: objects no record knows`).toEqual([]);
  expect(errors.seen, `${name}: unhandled in the process`).toEqual([]);
  return { offloaded, local, objects: view.objects.length };
}
