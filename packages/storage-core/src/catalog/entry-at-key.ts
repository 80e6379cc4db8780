/**
 * One key looked up through a key-ordered listing (`listFiles`,
 * `listKeptCopies`): the first entry whose key starts with `key` is the entry
 * for `key` itself when there is one, so a page of one answers it with one
 * index step and no lookup method of its own in the Catalog contract.
 */

/** The entry `list` holds at exactly `key`, or undefined. */
export async function entryAtKey<T extends { readonly key: string }>(
  list: (options: { readonly keyPrefix: string; readonly pageSize: number }) => AsyncIterable<T>,
  key: string,
): Promise<T | undefined> {
  for await (const entry of list({ keyPrefix: key, pageSize: 1 })) return entry.key === key ? entry : undefined;
  return undefined;
}
