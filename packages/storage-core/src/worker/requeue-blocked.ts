import type { Catalog } from '../catalog/types.js';

/**
 * Sends every blocked result (one that waited for an admin to fix settings)
 * back to the worker's queue, due now; returns how many. Records another
 * process holds are left alone.
 */
export async function requeueBlocked(catalog: Catalog): Promise<number> {
  let queued = 0;
  for await (const record of catalog.list({ state: 'blocked', hasIntent: false })) {
    if (await catalog.update(record.id, record.version, { state: 'pending', dueAt: Date.now() })) queued++;
  }
  return queued;
}
