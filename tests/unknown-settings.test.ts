/**
 * Every driver's settings schema is strict: a field it does not declare (a
 * typo such as `secret_key`, a field of another driver) is refused by name,
 * never dropped and never echoed, through the driver factory and through each
 * registry definition alike (the S3 presets wrap the schema in a preprocess step).
 */
import { describe, expect, it } from 'vitest';
import { createLocalDriver, localDriverDefinition } from '../packages/driver-local/src/index.js';
import { createR2Driver, r2DriverDefinition } from '../packages/driver-r2/src/index.js';
import { createS3Driver, s3DriverDefinitions } from '../packages/driver-s3/src/index.js';
import { ConfigError, parseSettings } from '../packages/storage-core/src/index.js';

const PASTED = 'pasted-secret-value-that-must-not-echo-0123';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(PASTED);
    return (error as ConfigError).problems;
  }
  throw new Error('the settings were accepted');
}

const s3 = { endpoint: 'http://127.0.0.1:9', bucket: 'media', accessKeyId: 'AKID', secretAccessKey: 'x'.repeat(20) };

describe('strict driver settings', () => {
  it('S3: names every unknown field, first, without its value', () => {
    expect(problemsOf(() => createS3Driver({ ...s3, secret_key: PASTED, Bucket: PASTED } as never))).toEqual([
      'secret_key: unknown setting',
      'Bucket: unknown setting',
    ]);
  });

  it('S3 presets: the provider is fixed, and unknown fields are still refused', () => {
    for (const definition of s3DriverDefinitions) {
      const problems = problemsOf(() =>
        parseSettings(definition.name, definition.schema, { ...s3, region: 'us-east-1', typo: PASTED }),
      );
      expect(problems, definition.name).toEqual(['typo: unknown setting']);
    }
  });

  it('R2: refuses S3-only and mistyped fields by name', () => {
    const r2 = { accountId: '0123456789abcdef0123456789abcdef', bucket: 'media', accessKeyId: 'a'.repeat(32) };
    const input = { ...r2, secretAccessKey: 's'.repeat(20), sessionToken: PASTED, secret_access_key: PASTED };
    expect(problemsOf(() => createR2Driver(input as never))).toEqual([
      'sessionToken: unknown setting',
      'secret_access_key: unknown setting',
    ]);
    expect(problemsOf(() => parseSettings('r2', r2DriverDefinition.schema, input))).toHaveLength(2);
  });

  it('local: refuses a mistyped signing secret instead of running without signing', () => {
    expect(problemsOf(() => createLocalDriver({ root: '/srv/results', signing_secret: PASTED } as never))).toEqual([
      'signing_secret: unknown setting',
    ]);
    expect(
      problemsOf(() => parseSettings('local', localDriverDefinition.schema, { root: '/srv', bucket: 'x' })),
    ).toEqual(['bucket: unknown setting']);
  });
});
