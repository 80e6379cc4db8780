import { resolveS3Config, s3SettingsSchema } from '@stowage/driver-s3';
import { ConfigError, ErrorCode } from '@stowage/storage-core';
import { describe, expect, it } from 'vitest';
import {
  createR2Driver,
  parseR2Endpoint,
  r2AccountEndpoint,
  r2DriverDefinition,
  r2ToS3Settings,
} from '../src/index.js';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const SECRET = 'r2-secret-access-key-value';
const creds = { accessKeyId: 'a'.repeat(32), secretAccessKey: SECRET };

function problemsOf(input: unknown): readonly string[] {
  try {
    createR2Driver(input as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.Misconfigured);
    expect((error as ConfigError).message).toMatch(/^R2 settings: /);
    expect((error as ConfigError).message).not.toContain(SECRET);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

/** The S3 configuration an R2 settings object turns into. */
function s3ConfigOf(input: Record<string, unknown>) {
  const parsed = r2DriverDefinition.schema.parse({ ...creds, ...input });
  return resolveS3Config(s3SettingsSchema.parse(r2ToS3Settings(parsed)));
}

describe('R2 settings: bad input', () => {
  it('lists every problem in one error before any network call', () => {
    expect(problemsOf({ ...creds, publicBaseUrl: 'pub-123.r2.dev', partSize: 1024, endpoint: undefined })).toEqual(
      expect.arrayContaining([
        'accountId: give the Cloudflare account id, or an endpoint URL',
        'bucket: required',
        expect.stringMatching(/^publicBaseUrl: must be an absolute URL/),
        expect.stringMatching(/^partSize: must be at least 5 MiB/),
      ]),
    );
  });

  it('names a malformed endpoint, a bad account id and an unknown jurisdiction', () => {
    const problems = problemsOf({ ...creds, accountId: 'not-an-account', jurisdiction: 'mars', bucket: 'media' });
    expect(problems).toEqual([
      'accountId: must be the 32-character hex Cloudflare account id',
      'jurisdiction: must be "default", "eu" or "fedramp"',
    ]);
    expect(problemsOf({ ...creds, endpoint: 'r2 endpoint', bucket: 'media' })).toEqual([
      expect.stringMatching(/^endpoint: must be an absolute URL/),
    ]);
    expect(problemsOf({ ...creds, endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com/a/b` })).toEqual([
      'endpoint: must be the account endpoint, optionally followed by "/<bucket>", and nothing more',
    ]);
  });

  it('refuses contradictions: two bucket names, a jurisdiction the endpoint does not have, an ACL', () => {
    expect(
      problemsOf({
        ...creds,
        endpoint: `https://${ACCOUNT}.eu.r2.cloudflarestorage.com/photos`,
        bucket: 'videos',
        jurisdiction: 'fedramp',
        acl: 'public-read',
      }),
    ).toEqual([
      expect.stringMatching(/^acl: R2 has no object ACLs/),
      'jurisdiction: does not match the endpoint; with an endpoint, leave jurisdiction out (the endpoint decides)',
      'bucket: differs from the bucket named in the endpoint URL',
    ]);
  });
});

describe('R2 settings: endpoints', () => {
  it.each([
    [{ accountId: ACCOUNT, bucket: 'media' }, `https://${ACCOUNT}.r2.cloudflarestorage.com`, 'media'],
    [
      { accountId: ACCOUNT, jurisdiction: 'eu', bucket: 'media' },
      `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`,
      'media',
    ],
    [
      { accountId: ACCOUNT, jurisdiction: 'fedramp', bucket: 'media' },
      `https://${ACCOUNT}.fedramp.r2.cloudflarestorage.com`,
      'media',
    ],
    [
      { endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com/media/` },
      `https://${ACCOUNT}.r2.cloudflarestorage.com`,
      'media',
    ],
    [
      { endpoint: `https://media.${ACCOUNT}.eu.r2.cloudflarestorage.com` },
      `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`,
      'media',
    ],
    [{ endpoint: 'http://127.0.0.1:9000', bucket: 'media' }, 'http://127.0.0.1:9000', 'media'],
  ] as const)('%o → %s, bucket %s, region auto', (input, endpoint, bucket) => {
    const config = s3ConfigOf(input);
    expect(config.endpoint).toBe(endpoint);
    expect(config.bucket).toBe(bucket);
    expect(config.region).toBe('auto');
    expect(config.acl).toBeUndefined();
    expect(config.checksumMode).toBe('WHEN_REQUIRED');
    // Virtual-hosted by default, as Cloudflare's guide has it for standard R2 buckets.
    expect(config.forcePathStyle).toBe(false);
  });

  it('keeps path-style configurable and the key prefix normalized', () => {
    const config = s3ConfigOf({ accountId: ACCOUNT, bucket: 'media', forcePathStyle: true, keyPrefix: '/site-a/' });
    expect(config.forcePathStyle).toBe(true);
    expect(config.keyPrefix).toBe('site-a/');
  });

  it('derives account endpoints and splits pasted URLs', () => {
    expect(r2AccountEndpoint(ACCOUNT)).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(parseR2Endpoint(`https://${ACCOUNT}.eu.r2.cloudflarestorage.com/my-bucket`)).toEqual({
      endpoint: `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`,
      bucket: 'my-bucket',
      accountId: ACCOUNT,
      jurisdiction: 'eu',
    });
  });

  it('the definition is named "r2", marks the secret and builds a driver of kind "r2"', () => {
    expect(r2DriverDefinition.name).toBe('r2');
    expect(r2DriverDefinition.secretFields).toEqual(['secretAccessKey']);
    const driver = r2DriverDefinition.create(
      r2DriverDefinition.schema.parse({ ...creds, accountId: ACCOUNT, bucket: 'media' }),
    );
    expect(driver.kind).toBe('r2');
  });
});
