/**
 * Fix mode for a recorded object that is gone: when the results disk still
 * holds every file of the result, the record goes back to the worker's queue
 * (pending, serving from local disk, due now) and the worker sends it again;
 * otherwise the record is marked `missing` with the reason. A record with work
 * in flight is left to that work (or to recovery). Every change is a
 * compare-and-set on the record as it is now, so a result that moved,
 * changed or was deleted since the listing is left alone.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog, ResultRecord } from '../catalog/types.js';
import { LOCAL_TARGET_ID } from '../catalog/types.js';
import { ErrorCode } from '../errors.js';
import type { ReconcileTally } from './report.js';

/** What a fix of a missing object needs. */
export interface MissingFixContext {
  readonly catalog: Catalog;
  readonly target: string;
  readonly resultsRoot: string;
}

/** Re-queues or marks missing the result of `resultId`, whose object `key` in the target is gone. */
export async function fixMissing(
  context: MissingFixContext,
  resultId: string,
  key: string,
  tally: ReconcileTally,
): Promise<void> {
  for (let tries = 0; tries < 3; tries++) {
    const record = await context.catalog.get(resultId);
    // Moved, deleted, or its key changed since the listing: not this target's problem any more.
    if (!record || record.state === 'deleted' || record.targetId !== context.target) return;
    if (!record.files.some((file) => file.key === key)) return;
    if (record.intent) {
      tally.fixes.missingInFlight++;
      return;
    }
    const absent = await absentLocalFiles(context.resultsRoot, record);
    const now = Date.now();
    if (absent.length === 0 && context.target !== LOCAL_TARGET_ID) {
      const requeued = await context.catalog.update(record.id, record.version, {
        state: 'pending',
        targetId: LOCAL_TARGET_ID,
        files: record.files.map((file) => ({ ...file, key: file.path })),
        localCopy: true,
        dueAt: now,
        attempts: 0,
        lastError: {
          code: ErrorCode.NotFound,
          message: `reconcile: "${key}" was gone from target "${context.target}"; sent again from the local copy`,
          at: now,
        },
      });
      if (requeued) {
        tally.fixes.requeued++;
        return;
      }
      continue;
    }
    if (record.state === 'missing') return;
    const marked = await context.catalog.update(record.id, record.version, {
      state: 'missing',
      dueAt: null,
      lastError: {
        code: ErrorCode.NotFound,
        message: `reconcile: "${key}" is gone from target "${context.target}" and the results disk ${
          absent.length === record.files.length ? 'holds no copy' : `lacks ${absent.join(', ')}`
        }`,
        at: now,
      },
    });
    if (marked) {
      tally.fixes.markedMissing++;
      return;
    }
  }
}

/** The paths of the record's files that are not regular files on the results disk. */
async function absentLocalFiles(root: string, record: ResultRecord): Promise<string[]> {
  const absent: string[] = [];
  for (const file of record.files) {
    const info = await lstat(join(root, file.path)).catch(() => undefined);
    if (!info?.isFile()) absent.push(file.path);
  }
  return absent;
}
