import { ConfigError, ErrorCode } from '@stowage/storage-core';
import { describe, expect, it } from 'vitest';
import {
  createS3Driver,
  gcsDriverDefinition,
  minioDriverDefinition,
  resolveS3Config,
  s3DriverDefinition,
  s3SettingsSchema,
  wasabiDriverDefinition,
} from '../src/index.js';

const SECRET = 'super-secret-value-123';
const valid = {
  provider: 'minio',
  endpoint: 'http://127.0.0.1:9',
  bucket: 'media',
  accessKeyId: 'AKID',
  secretAccessKey: SECRET,
} as const;

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('S3 settings', () => {
  it('lists every problem of incomplete and contradictory settings in one error, before any network call', () => {
    const error = configErrorOf(() =>
      createS3Driver({
        provider: 'minio',
        endpoint: 'not a url',
        accessKeyId: 'AKID',
        secretAccessKey: SECRET,
        publicBaseUrl: 'cdn.example.com/media',
        partSize: 1024 * 1024,
        acl: 'public-read',
      } as never),
    );
    expect(error.code).toBe(ErrorCode.Misconfigured);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'bucket: required',
        expect.stringMatching(/^endpoint: must be an absolute URL/),
        expect.stringMatching(/^publicBaseUrl: must be an absolute URL/),
        'partSize: must be at least 5 MiB (5242880 bytes), the S3 minimum',
        'acl: is not supported by MinIO; remove it',
      ]),
    );
    expect(error.problems).toHaveLength(5);
    expect(error.message).toMatch(/^S3 settings: /);
  });

  it('requires an endpoint where the preset cannot derive one, and a region for B2', () => {
    const error = configErrorOf(() =>
      createS3Driver({ provider: 'b2', bucket: 'media', accessKeyId: 'AKID', secretAccessKey: SECRET }),
    );
    expect(error.problems).toEqual(['region: required for provider "b2" (e.g. us-west-004)']);
    const minio = configErrorOf(() =>
      createS3Driver({ provider: 'minio', bucket: 'media', accessKeyId: 'AKID', secretAccessKey: SECRET }),
    );
    expect(minio.problems).toEqual(['endpoint: required for provider "minio"']);
  });

  it('refuses an endpoint with a path, credentials or a query, and an unknown scheme', () => {
    for (const [endpoint, problem] of [
      ['http://127.0.0.1:9000/media', /must not contain a path/],
      ['http://user:pw@127.0.0.1:9000', /user name or password/],
      ['http://127.0.0.1:9000?x=1', /query string/],
      ['ftp://127.0.0.1', /http:\/\/ or https:\/\//],
    ] as const) {
      const error = configErrorOf(() => createS3Driver({ ...valid, endpoint }));
      expect(error.problems).toEqual([expect.stringMatching(problem)]);
    }
  });

  it('never echoes a secret, even one pasted into the wrong field', () => {
    const error = configErrorOf(() => createS3Driver({ ...valid, endpoint: SECRET, region: '' }));
    expect(JSON.stringify({ message: error.message, problems: error.problems })).not.toContain(SECRET);
  });

  it('rejects a key prefix that breaks the key rules', () => {
    const error = configErrorOf(() => createS3Driver({ ...valid, keyPrefix: 'media/../x' }));
    expect(error.problems).toEqual(['keyPrefix: key prefix must not contain a ".." segment']);
  });

  it('fills in defaults: 8 MiB parts, 4 in flight, 3 retries, WHEN_REQUIRED checksums', () => {
    const config = resolveS3Config(s3SettingsSchema.parse(valid));
    expect(config).toMatchObject({
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
      retries: 3,
      checksumMode: 'WHEN_REQUIRED',
      forcePathStyle: true,
      region: 'us-east-1',
      keyPrefix: '',
    });
  });
});

describe('provider presets', () => {
  const base = { bucket: 'media', accessKeyId: 'AKID', secretAccessKey: SECRET };
  it.each([
    [{ provider: 'aws' }, undefined, 'us-east-1', false],
    [{ provider: 'wasabi', region: 'eu-central-1' }, 'https://s3.eu-central-1.wasabisys.com', 'eu-central-1', false],
    [{ provider: 'spaces' }, 'https://nyc3.digitaloceanspaces.com', 'nyc3', false],
    [{ provider: 'b2', region: 'us-west-004' }, 'https://s3.us-west-004.backblazeb2.com', 'us-west-004', false],
    [{ provider: 'gcs' }, 'https://storage.googleapis.com', 'auto', false],
    [{ provider: 'minio', endpoint: 'http://10.0.0.5:9000/' }, 'http://10.0.0.5:9000', 'us-east-1', true],
    [{ endpoint: 'https://s3.example.net' }, 'https://s3.example.net', 'us-east-1', true],
  ] as const)('%o resolves endpoint %s, region %s, path-style %s', (settings, endpoint, region, pathStyle) => {
    const config = resolveS3Config(s3SettingsSchema.parse({ ...base, ...settings }));
    expect(config.endpoint).toBe(endpoint);
    expect(config.region).toBe(region);
    expect(config.forcePathStyle).toBe(pathStyle);
    expect(config.checksumMode).toBe('WHEN_REQUIRED');
  });

  it('per-preset definitions fix the provider and mark the secrets', () => {
    expect(wasabiDriverDefinition.schema.parse({ ...base, provider: 'aws' }).provider).toBe('wasabi');
    expect(minioDriverDefinition.secretFields).toEqual(['secretAccessKey', 'sessionToken']);
    expect(s3DriverDefinition.name).toBe('s3');
    const gcs = gcsDriverDefinition.create(gcsDriverDefinition.schema.parse(base));
    expect(gcs.kind).toBe('gcs');
    expect(gcsDriverDefinition.schema.safeParse({ ...base, acl: 'public-read' }).success).toBe(false);
  });
});

describe('driver views', () => {
  it('logs and serializes without credentials', async () => {
    const { inspect } = await import('node:util');
    const driver = createS3Driver({ ...valid, sessionToken: 'session-token-value' });
    for (const view of [inspect(driver, { depth: 10 }), JSON.stringify(driver), String(driver.toJSON().endpoint)]) {
      expect(view).not.toContain(SECRET);
      expect(view).not.toContain('session-token-value');
    }
    expect(JSON.parse(JSON.stringify(driver))).toMatchObject({ kind: 's3', bucket: 'media', provider: 'minio' });
    await driver.close();
  });
});
