/**
 * Copies one record made can be another record's served files: an offload
 * adopts an object that already holds its very bytes at its templated key (a
 * content-addressed template such as `media/{sha256}.{extName}`, see
 * offload/taken-key.ts), whoever wrote it. So whatever removes a record's
 * copies (delete, a new version's stale copies, a migration's kept copies)
 * first drops the keys another live record serves. A check alone is not a
 * lock: removers run it under a removal claim (removal-claims.ts), so a result
 * adopting the key after the check and before the removal waits instead.
 */
import { entryAtKey } from './entry-at-key.js';
import type { Catalog } from './types.js';

/** Which of `keys` in `targetId` no live record other than `recordId` serves; all of them without a catalog. */
export async function keysNoOtherServes(
  catalog: Catalog | undefined,
  recordId: string | undefined,
  targetId: string,
  keys: readonly string[],
): Promise<string[]> {
  if (!catalog) return [...keys];
  const unserved: string[] = [];
  for (const key of keys) {
    const served = await entryAtKey((options) => catalog.listFiles(targetId, options), key);
    if (!served || served.record.id === recordId) unserved.push(key);
  }
  return unserved;
}
