/**
 * The one check every options object of the public API makes first: an
 * option it does not read would otherwise be ignored without a word (a
 * misspelt `dryRun` runs what it was meant to preview). Names only the option,
 * never its value.
 */

/** An "unknown option" problem for each key of `options` that is not in `known`, in the object's key order. */
export function unknownOptionProblems(options: object, known: ReadonlySet<string>): string[] {
  return Object.keys(options)
    .filter((name) => !known.has(name))
    .map((name) => `unknown option "${name}"`);
}
