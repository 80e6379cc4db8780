/**
 * The CORS helper: validation of origins and options, the exact PutBucketCors
 * request it builds (received by a real local server). MinIO's answer to it is
 * in r2-against-minio.test.ts.
 */
import { ConfigError } from '@stowage/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltRequest,
  type RecordingS3Server,
  routeClientTo,
  startRecordingS3Server,
} from '../../driver-s3/test/support/recording-s3-server.js';
import { applyR2Cors, buildR2CorsConfiguration, corsOriginProblem, createR2Driver } from '../src/index.js';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const creds = { accessKeyId: 'a'.repeat(32), secretAccessKey: 'r2-secret-access-key-value' };

describe('CORS policy validation', () => {
  it.each([
    ['https://app.example.com', undefined],
    ['http://localhost:5173', undefined],
    ['*', undefined],
    ['https://app.example.com/', /no path, trailing slash/],
    ['https://app.example.com/upload', /no path/],
    ['https://app.example.com:443', /did you mean https:\/\/app.example.com\?/],
    ['app.example.com', /must be an origin/],
    ['ftp://files.example.com', /http:\/\/ or https:\/\//],
    ['https://APP.example.com', /did you mean https:\/\/app.example.com\?/],
  ])('%s', (origin, problem) => {
    if (problem === undefined) expect(corsOriginProblem(origin)).toBeUndefined();
    else expect(corsOriginProblem(origin)).toMatch(problem);
  });

  it('lists every problem of a policy at once', () => {
    let error: unknown;
    try {
      buildR2CorsConfiguration({
        origins: ['https://ok.example.com', 'https://bad.example.com/', '*'],
        maxAgeSeconds: -1,
        methods: ['PUT', 'PATCH' as never],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^origins\.1: must be exactly scheme/),
      'origins: "*" allows every origin; give it alone',
      'maxAgeSeconds: must be a whole number from 0 to 86400',
      'methods: "PATCH" is not one of GET, PUT, HEAD, POST, DELETE',
    ]);
    expect(() => buildR2CorsConfiguration({ origins: [] })).toThrow(/give at least one origin/);
  });

  it('builds PUT, GET and HEAD for the origins, exposing ETag, with a max age', () => {
    expect(buildR2CorsConfiguration({ origins: ['https://app.example.com'], maxAgeSeconds: 600 })).toEqual({
      CORSRules: [
        {
          AllowedOrigins: ['https://app.example.com'],
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          AllowedHeaders: ['content-type'],
          ExposeHeaders: ['ETag'],
          MaxAgeSeconds: 600,
        },
      ],
    });
  });
});

describe('CORS request', () => {
  let server: RecordingS3Server;
  beforeAll(async () => {
    server = await startRecordingS3Server();
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends PutBucketCors to the bucket with the policy as XML and the checksum S3 requires', async () => {
    const driver = createR2Driver({ ...creds, accountId: ACCOUNT, bucket: 'media', forcePathStyle: true });
    const built: BuiltRequest[] = [];
    routeClientTo(driver.client, server, built);
    await applyR2Cors(driver, { origins: ['https://app.example.com', 'http://localhost:5173'], maxAgeSeconds: 3600 });
    await driver.close();
    const [request] = built;
    expect(request && `${request.headers.host}${request.path}`).toBe(`${ACCOUNT}.r2.cloudflarestorage.com/media/`);
    expect(Object.keys(request?.query ?? {})).toContain('cors');
    const received = server.requests.at(-1);
    expect(received?.method).toBe('PUT');
    const xml = received?.body.toString() ?? '';
    expect(xml).toContain('<AllowedOrigin>https://app.example.com</AllowedOrigin>');
    expect(xml).toContain('<AllowedOrigin>http://localhost:5173</AllowedOrigin>');
    for (const method of ['PUT', 'GET', 'HEAD']) expect(xml).toContain(`<AllowedMethod>${method}</AllowedMethod>`);
    expect(xml).toContain('<ExposeHeader>ETag</ExposeHeader>');
    expect(xml).toContain('<MaxAgeSeconds>3600</MaxAgeSeconds>');
    const checksumHeaders = Object.keys(received?.headers ?? {}).filter((name) =>
      /^(content-md5|x-amz-checksum-)/.test(name),
    );
    expect(checksumHeaders.length).toBe(1);
  });

  it('validates before sending anything', async () => {
    const driver = createR2Driver({ ...creds, accountId: ACCOUNT, bucket: 'media' });
    const before = server.requests.length;
    await expect(applyR2Cors(driver, { origins: ['https://app.example.com/'] })).rejects.toBeInstanceOf(ConfigError);
    expect(server.requests.length).toBe(before);
    await driver.close();
  });
});
