/**
 * Which top-level fields a settings schema declares, so the registry can refuse
 * fields it does not know: a mistyped secret name (`secret_key` for
 * `secretKey`) would otherwise be stored in the clear and shown back.
 */
import type { z } from 'zod';

/**
 * The top-level field names of `schema` when it is a zod object (possibly
 * refined, piped or wrapped in optional/default), else undefined.
 */
export function schemaFields(schema: z.ZodType): readonly string[] | undefined {
  let current: unknown = schema;
  for (let depth = 0; depth < 8 && current; depth += 1) {
    const candidate = current as { shape?: unknown; def?: { type?: string; in?: unknown; innerType?: unknown } };
    if (candidate.shape && typeof candidate.shape === 'object') return Object.keys(candidate.shape);
    const def = candidate.def;
    if (def?.type === 'pipe') current = def.in;
    else if (def?.innerType) current = def.innerType;
    else return undefined;
  }
  return undefined;
}

/** "`field`: unknown setting" for every field of `input` not in `known`. */
export function unknownFieldProblems(input: Readonly<Record<string, unknown>>, known: readonly string[]): string[] {
  return Object.keys(input)
    .filter((field) => !known.includes(field))
    .map((field) => `${field}: unknown setting`);
}
