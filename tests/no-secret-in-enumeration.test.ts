/**
 * Secrets and clients live in `#private` fields: no spread, enumeration, JSON,
 * inspection or own-property listing of a driver, a registry or a storage
 * shows a secret or the application key. (TypeScript `private` fields are
 * ordinary properties at run time; a spread of the old S3 driver returned its
 * credentials.)
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLocalDriver } from '../packages/driver-local/src/index.js';
import { createR2Driver } from '../packages/driver-r2/src/index.js';
import { createS3Driver, minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { TEST_APP_KEY, workspaceForEachTest } from './support/fixture.js';

const S3_SECRET = 's3-secret-access-key-must-stay-hidden-0123';
const SESSION_TOKEN = 's3-session-token-must-stay-hidden-4567';
const R2_SECRET = 'r2-secret-access-key-must-stay-hidden-89ab';
const SIGNING_SECRET = 'local-signing-secret-must-stay-hidden-cdef';

/** Every way a caller can look at an object without calling its methods. */
function everyView(value: object): string[] {
  const record = value as Record<string, unknown>;
  const ownNames = Object.getOwnPropertyNames(value);
  const enumerated: string[] = [];
  for (const key in value) enumerated.push(`${key}=${inspect(record[key], { depth: 8 })}`);
  return [
    inspect({ ...value }, { depth: 8, showHidden: true }),
    JSON.stringify(value) ?? '',
    JSON.stringify(Object.entries(value)),
    inspect(value, { depth: 8, showHidden: true }),
    inspect(value, { depth: 8, showHidden: true, customInspect: false }),
    ownNames.join(','),
    ...ownNames.map((name) => inspect(record[name], { depth: 8, showHidden: true, customInspect: false })),
    ...enumerated,
    String(value),
  ];
}

function expectHidden(value: object, secrets: readonly string[]): void {
  for (const view of everyView(value)) {
    for (const secret of secrets) expect(view).not.toContain(secret);
  }
}

describe('no secret in enumeration', () => {
  it('S3 driver with a secret key and a session token', () => {
    const driver = createS3Driver({
      provider: 'minio',
      endpoint: 'http://127.0.0.1:9',
      bucket: 'media',
      accessKeyId: 'AKID',
      secretAccessKey: S3_SECRET,
      sessionToken: SESSION_TOKEN,
    });
    expectHidden(driver, [S3_SECRET, SESSION_TOKEN]);
    expect(Object.keys({ ...driver }).sort()).toEqual(['capabilities', 'kind']);
  });

  it('R2 driver', () => {
    const driver = createR2Driver({
      accountId: '0123456789abcdef0123456789abcdef',
      bucket: 'media',
      accessKeyId: 'a'.repeat(32),
      secretAccessKey: R2_SECRET,
    });
    expectHidden(driver, [R2_SECRET]);
  });

  it('local driver with a signing secret', () => {
    const driver = createLocalDriver({
      root: '/srv/results',
      signingSecret: SIGNING_SECRET,
      signedUrlBaseUrl: 'https://app.example/files',
    });
    expectHidden(driver, [SIGNING_SECRET]);
  });

  describe('registry and storage after saving settings', () => {
    const ws = workspaceForEachTest();

    it('show neither the saved secret nor the application key', async () => {
      const storage = await ws.open();
      storage.registry.register(minioDriverDefinition);
      await storage.registry.saveSettings('minio', {
        endpoint: 'http://127.0.0.1:9',
        bucket: 'media',
        accessKeyId: 'AKID',
        secretAccessKey: S3_SECRET,
      });
      await storage.registry.enable('minio');
      const driver = storage.registry.driver('minio');
      expectHidden(driver, [S3_SECRET]);
      expectHidden(storage.registry, [S3_SECRET, TEST_APP_KEY]);
      expectHidden(storage, [S3_SECRET, TEST_APP_KEY]);
      expectHidden(storage.registry.providers(), [S3_SECRET]);
    });
  });
});
