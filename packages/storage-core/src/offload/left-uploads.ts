/**
 * The multipart uploads an abandoned attempt left open at its keys: its process
 * died (or stalled past its lease) between the upload's start and its Complete.
 * Whoever replaces that attempt (recovery, or an offload that takes over the
 * expired intent) aborts them at once, rather than leave them billed until the
 * sweep's age rule or a lifecycle rule finds them.
 */
import { errorFacts, type Logger } from '../logger.js';
import type { StorageDriver } from '../types.js';

/**
 * Aborts every multipart upload open at `keys`. The caller holds the record
 * (recovery's claim, or the intent that replaced the expired one), so no other
 * attempt of this result is sending. Only a key template that can give two
 * results one key (result-keys.ts) lets another result send there too; its
 * upload is then aborted as well, its Complete fails, and it stays local for
 * the worker to send again. An abort that fails is logged and left to the
 * sweep, which finds it by age.
 */
export async function abortLeftUploads(logger: Logger, driver: StorageDriver, keys: readonly string[]): Promise<void> {
  if (!driver.capabilities.incompleteUploads) return;
  for (const key of keys) {
    try {
      const swept = await driver.sweepIncompleteUploads({ key, olderThanMs: 0 });
      if (swept.failed.length > 0) throw swept.failed[0]?.error;
    } catch (error) {
      logger.warn(
        { key, error: errorFacts(error) },
        'could not abort an upload an abandoned attempt left open; the sweep will',
      );
    }
  }
}
