import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schemaFields, unknownFieldProblems } from '../src/settings/known-fields.js';

describe('schemaFields', () => {
  it('reads the fields of plain, refined, piped and optional object schemas', () => {
    const base = z.object({ bucket: z.string(), endpoint: z.string().optional() });
    expect(schemaFields(base)).toEqual(['bucket', 'endpoint']);
    expect(schemaFields(base.superRefine(() => undefined))).toEqual(['bucket', 'endpoint']);
    expect(schemaFields(base.transform((value) => ({ ...value, extra: 1 })))).toEqual(['bucket', 'endpoint']);
    expect(schemaFields(base.optional())).toEqual(['bucket', 'endpoint']);
  });

  it('gives up on schemas that are not objects', () => {
    expect(schemaFields(z.string())).toBeUndefined();
    expect(schemaFields(z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]))).toBeUndefined();
  });
});

describe('unknownFieldProblems', () => {
  it('names every field that is not known', () => {
    expect(unknownFieldProblems({ bucket: 'b', secret_key: 'x', Bucket: 'c' }, ['bucket', 'secretKey'])).toEqual([
      'secret_key: unknown setting',
      'Bucket: unknown setting',
    ]);
  });
});
