import type { Catalog, ResultRecord } from '../catalog/types.js';
import { LOCAL_TARGET_ID } from '../catalog/types.js';
import { asStorageError, ErrorCode } from '../errors.js';

/**
 * Settles a record the worker claimed but cannot send: its files are gone from
 * the results disk (`missing` when no other copy exists, else it stays where
 * its bytes are), or are no longer acceptable (`given-up`, with the reason).
 */
export async function markUnsendable(catalog: Catalog, record: ResultRecord, cause: unknown): Promise<void> {
  const error = asStorageError(cause, record.path);
  const current = await catalog.get(record.id);
  if (!current || current.intent?.attemptId !== record.intent?.attemptId) return;
  const elsewhere = current.targetId !== LOCAL_TARGET_ID && current.state === 'offloaded';
  const state = elsewhere ? current.state : error.code === ErrorCode.NotFound ? 'missing' : 'given-up';
  await catalog.update(current.id, current.version, {
    state,
    lastError: { code: error.code, message: error.message, at: Date.now() },
    dueAt: null,
    intent: null,
    ...(error.code === ErrorCode.NotFound ? { localCopy: false } : {}),
  });
}
