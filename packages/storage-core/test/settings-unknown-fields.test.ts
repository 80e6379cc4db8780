import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseSettings, unknownSettingProblems } from '../src/index.js';

const schema = z
  .strictObject({ bucket: z.string({ error: 'required' }), secretKey: z.string().optional() })
  .superRefine(() => undefined);

describe('unknownSettingProblems', () => {
  it('names every field that is not known', () => {
    expect(unknownSettingProblems(schema, { bucket: 'b', secret_key: 'x', Bucket: 'c' })).toEqual([
      'secret_key: unknown setting',
      'Bucket: unknown setting',
    ]);
  });

  it('names them whatever else is wrong, and nothing for valid input', () => {
    expect(unknownSettingProblems(schema, { secret_key: 'x' })).toEqual(['secret_key: unknown setting']);
    expect(unknownSettingProblems(schema, { bucket: 'b' })).toEqual([]);
  });

  it('sees through a preprocess wrapper (the S3 preset definitions use one)', () => {
    const preset = z.preprocess((input) => ({ ...(input as object), secretKey: 'fixed' }), schema);
    expect(unknownSettingProblems(preset, { bucket: 'b', typo: 1 })).toEqual(['typo: unknown setting']);
  });
});

describe('parseSettings', () => {
  it('lists unknown fields first, then every other problem, without echoing a value', () => {
    const secret = 'pasted-secret-value-0123456789';
    const error = (() => {
      try {
        parseSettings('settings for "x"', schema, { secret_key: secret, secretKey: 42 });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'secret_key: unknown setting',
      'bucket: required',
      expect.stringMatching(/^secretKey: /),
    ]);
    expect((error as ConfigError).message).not.toContain(secret);
  });
});
