/** Prefix matches the SQLite catalog's listings can seek on in an index. */

/**
 * "column starts with prefix" as SQL. The range (prefix up to the first string
 * after every string that starts with it) lets SQLite seek in the index
 * instead of scanning: a lookup of one key is then one index step.
 */
export function startsWith(column: string, prefix: string): { sql: string; params: string[] } {
  if (prefix === '') return { sql: '1', params: [] };
  const exact = `substr(${column}, 1, length(?)) = ?`;
  const above = firstStringAfterPrefix(prefix);
  return above === undefined
    ? { sql: `${column} >= ? AND ${exact}`, params: [prefix, prefix, prefix] }
    : { sql: `${column} >= ? AND ${column} < ? AND ${exact}`, params: [prefix, above, prefix, prefix] };
}

/** The smallest string above every string starting with `prefix` (its last code point plus one), in UTF-8 order. */
function firstStringAfterPrefix(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) return points.join('') + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1);
  }
  return undefined;
}
