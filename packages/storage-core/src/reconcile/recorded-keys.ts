/**
 * The catalog's side of a target's reconcile: the files live records serve
 * from it and the copies records keep there (see KeptCopy), merged into one
 * stream in UTF-8 byte order as both stream, so the merge-join with the
 * backend's listing sees every key Stowage knows in the target. Only the head
 * of each listing is held.
 */
import type { Catalog, CatalogFileEntry, CatalogKeptEntry } from '../catalog/types.js';
import { compareUtf8 } from './utf8-order.js';

/** A key the catalog knows in the target: a served file, or a key of a kept copy. */
export type RecordedKey =
  | { readonly kind: 'file'; readonly key: string; readonly entry: CatalogFileEntry }
  | { readonly kind: 'kept'; readonly key: string; readonly entry: CatalogKeptEntry };

/** Every served file and kept key of `target`, in UTF-8 byte order (a served file first on a tie). */
export async function* recordedKeys(catalog: Catalog, target: string): AsyncGenerator<RecordedKey> {
  const files = catalog.listFiles(target)[Symbol.asyncIterator]();
  const kept = catalog.listKeptCopies(target)[Symbol.asyncIterator]();
  try {
    let file = await files.next();
    let copy = await kept.next();
    while (!file.done || !copy.done) {
      if (!file.done && (copy.done || compareUtf8(file.value.key, copy.value.key) <= 0)) {
        yield { kind: 'file', key: file.value.key, entry: file.value };
        file = await files.next();
      } else if (!copy.done) {
        yield { kind: 'kept', key: copy.value.key, entry: copy.value };
        copy = await kept.next();
      }
    }
  } finally {
    await Promise.all([files.return?.(), kept.return?.()]);
  }
}

/** The served files among `keys`. */
export function servedFiles(keys: readonly RecordedKey[]): CatalogFileEntry[] {
  return keys.flatMap((key) => (key.kind === 'file' ? [key.entry] : []));
}

/** The kept keys among `keys`. */
export function keptKeys(keys: readonly RecordedKey[]): CatalogKeptEntry[] {
  return keys.flatMap((key) => (key.kind === 'kept' ? [key.entry] : []));
}
