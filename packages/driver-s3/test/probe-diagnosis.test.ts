/**
 * "Test connection" names what is really wrong, against real servers: tiny
 * node:http servers for endpoints that are not S3 at all (an HTML site, a bare
 * 404, a server that answers 200 to everything) and for a plain-HTTP port
 * reached with https://; MinIO for a public URL that does not serve the
 * bucket, for credentials that may not delete, and for the lifecycle-rule advice.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { ErrorCode, PROBE_KEY_PREFIX, type ProbeReport } from '@stowage/storage-core';
import {
  allowAnonymousRead,
  createMinioUser,
  createTestBucket,
  createTestS3Client,
  removeTestBucket,
} from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ABORT_INCOMPLETE_UPLOADS_RULE_ID,
  abortIncompleteUploadsRule,
  applyAbortIncompleteUploadsRule,
  createS3Driver,
  type S3SettingsInput,
} from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
let bucket: string;

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on a loopback port that answers every request with `answer`. */
async function httpServer(answer: Answer): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const http: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

const htmlPage =
  (status: number): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><body><h1>Welcome</h1></body></html>');
  };
const okToEverything: Answer = (_req, res) => res.writeHead(200).end();
/** Lists like S3 (so the connect step passes) but answers every upload with a bare 200. */
const listsThenOk: Answer = (req, res) => {
  if (req.method === 'GET' && req.url?.includes('list-type=2')) {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>media</Name><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>',
    );
    return;
  }
  res.writeHead(200).end();
};

function settingsFor(endpoint: string, overrides: Partial<S3SettingsInput> = {}): S3SettingsInput {
  return { ...minioSettings(server, bucket, endpoint), retries: 0, ...overrides } as S3SettingsInput;
}

async function probe(settings: S3SettingsInput): Promise<ProbeReport> {
  const driver = createS3Driver(settings);
  try {
    const report = await driver.probe();
    expect(JSON.stringify(report)).not.toContain(settings.secretAccessKey);
    return report;
  } finally {
    await driver.close();
  }
}

async function probeObjectsLeft(): Promise<string[]> {
  const driver = createS3Driver(minioSettings(server, bucket));
  try {
    const keys: string[] = [];
    for await (const entry of driver.list(PROBE_KEY_PREFIX)) keys.push(entry.key);
    return keys;
  } finally {
    await driver.close();
  }
}

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-probe-diagnosis');
});
afterAll(async () => {
  await removeTestBucket(server, bucket);
});

describe('an endpoint that answers HTTP but is not S3', () => {
  it.each([
    ['an HTML page with 200', htmlPage(200)],
    ['an HTML page with 404', htmlPage(404)],
    ['a bare 200 to everything', okToEverything],
  ])('is reported as "not an S3 API" at the connect step when it answers %s', async (_what, answer) => {
    const site = await httpServer(answer);
    try {
      const report = await probe(settingsFor(site.url));
      expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: ErrorCode.NotS3Api });
      expect(report.message).toMatch(/^Connecting failed: this endpoint is not an S3 API/);
      expect(report.message).not.toMatch(/altered|unexpected error/);
      expect(report.steps.map((step) => step.step)).toEqual(['connect']);
    } finally {
      await site.close();
    }
  });

  it('never reports a write as succeeded when an upload is answered with a bare 200', async () => {
    const site = await httpServer(listsThenOk);
    try {
      const report = await probe(settingsFor(site.url));
      expect(report).toMatchObject({ ok: false, failedStep: 'write', code: ErrorCode.NotS3Api });
      expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
        ['connect', true],
        ['write', false],
      ]);
      expect(report.message).toMatch(/this endpoint is not an S3 API/);
      expect(report.message).toMatch(/no ETag/);
    } finally {
      await site.close();
    }
  });

  it('makes a write to such a server reject with NOT_S3_API rather than resolve', async () => {
    const site = await httpServer(okToEverything);
    const driver = createS3Driver(settingsFor(site.url));
    try {
      await expect(driver.write('images/cat.png', 'bytes')).rejects.toMatchObject({ code: ErrorCode.NotS3Api });
    } finally {
      await driver.close();
      await site.close();
    }
  });
});

describe('https:// pointed at a plain-HTTP port', () => {
  it('is named as plain HTTP, not as a certificate problem (a node:http server)', async () => {
    const site = await httpServer(htmlPage(200));
    try {
      const report = await probe(settingsFor(`https://127.0.0.1:${site.port}`));
      expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: ErrorCode.Tls });
      expect(report.message).toMatch(/the endpoint speaks plain HTTP on this port, not HTTPS/);
      expect(report.message).not.toMatch(/certificate/);
    } finally {
      await site.close();
    }
  });

  it('is named as plain HTTP against MinIO too', async () => {
    const report = await probe(settingsFor(server.endpoint.replace(/^http:/, 'https:')));
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', code: ErrorCode.Tls });
    expect(report.message).toMatch(/speaks plain HTTP/);
    expect(report.message).not.toMatch(/certificate/);
  });
});

describe('a public/CDN base URL', () => {
  it('that does not serve the bucket fails the public-url step with advice, and the probe object is removed', async () => {
    const report = await probe(settingsFor(server.endpoint, { publicBaseUrl: `${server.endpoint}/${bucket}` }));
    expect(report).toMatchObject({ ok: false, failedStep: 'public-url', code: ErrorCode.AccessDenied });
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['connect', true],
      ['write', true],
      ['read', true],
      ['compare', true],
      ['public-url', false],
    ]);
    expect(report.message).toMatch(/^Fetching the probe object through the public URL failed: the bucket is writable/);
    expect(report.message).toMatch(/images show broken/);
    expect(report.message).toMatch(/HTTP 403/);
    expect(await probeObjectsLeft()).toEqual([]);
  });

  it('that points at a site without the objects fails the public-url step with NOT_FOUND', async () => {
    const site = await httpServer(htmlPage(404));
    try {
      const report = await probe(settingsFor(server.endpoint, { publicBaseUrl: `${site.url}/media` }));
      expect(report).toMatchObject({ ok: false, failedStep: 'public-url', code: ErrorCode.NotFound });
      expect(await probeObjectsLeft()).toEqual([]);
    } finally {
      await site.close();
    }
  });

  it('that serves the bucket passes, with the public-url step before the delete', async () => {
    const publicBucket = await createTestBucket(server, 's3-probe-public');
    await allowAnonymousRead(server, publicBucket);
    try {
      const report = await probe({
        ...settingsFor(server.endpoint),
        bucket: publicBucket,
        publicBaseUrl: `${server.endpoint}/${publicBucket}`,
        keyPrefix: 'site-a',
      });
      expect(report.ok, report.message).toBe(true);
      expect(report.steps.map((step) => step.step)).toEqual([
        'connect',
        'write',
        'read',
        'compare',
        'public-url',
        'delete',
      ]);
      expect(report.message).toMatch(/served by the public URL/);
    } finally {
      await removeTestBucket(server, publicBucket);
    }
  });
});

describe('credentials that may upload and read but not delete', () => {
  it('fail the delete step with ACCESS_DENIED and say so', async () => {
    const user = await createMinioUser(server, { policy: 'no-delete', bucket });
    const report = await probe({ ...settingsFor(server.endpoint), ...user });
    expect(report).toMatchObject({ ok: false, failedStep: 'delete', code: ErrorCode.AccessDenied });
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['connect', true],
      ['write', true],
      ['read', true],
      ['compare', true],
      ['delete', false],
    ]);
    expect(report.message).toMatch(/the probe object could not be deleted: the token lacks delete permission/);
    // The probe could not remove its object; the bucket owner can.
    const root = createS3Driver(minioSettings(server, bucket));
    for (const key of await probeObjectsLeft()) await root.delete(key);
    await root.close();
  });
});

describe('the lifecycle rule for incomplete multipart uploads', () => {
  it('is reported missing as a warning of a passing probe, with advice', async () => {
    const report = await probe(settingsFor(server.endpoint));
    expect(report.ok, report.message).toBe(true);
    expect(report.warnings).toEqual([
      { code: 'NO_INCOMPLETE_UPLOAD_RULE', message: expect.stringMatching(/a killed process cannot abort its own/) },
    ]);
    expect(report.warnings?.[0]?.message).toMatch(/applyAbortIncompleteUploadsRule/);
  });

  it('is reported as not checked, without failing the probe, when the credentials may not read bucket configuration', async () => {
    const user = await createMinioUser(server, { policy: 'read-write', bucket });
    const report = await probe({ ...settingsFor(server.endpoint), ...user });
    expect(report.ok, report.message).toBe(true);
    expect(report.warnings).toEqual([
      {
        code: 'INCOMPLETE_UPLOAD_RULE_UNCHECKED',
        message: expect.stringMatching(/may not read bucket configuration/),
      },
    ]);
  });

  it('cannot be applied on MinIO (it drops AbortIncompleteMultipartUpload): UNSUPPORTED, other rules kept', async () => {
    const client = createTestS3Client(server, server, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const expiry = {
      ID: 'expire-tmp',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'tmp/' },
      Expiration: { Days: 30 },
    };
    const driver = createS3Driver(settingsFor(server.endpoint, { keyPrefix: 'media' }));
    try {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [expiry] } }),
      );
      await expect(applyAbortIncompleteUploadsRule(driver, { days: 3 })).rejects.toMatchObject({
        code: ErrorCode.Unsupported,
        message: expect.stringMatching(/sweepIncompleteUploads/),
      });
      const after = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
      expect(after.Rules?.map((rule) => rule.ID)).toEqual(['expire-tmp']);
    } finally {
      await driver.close();
      client.destroy();
    }
  });

  it('counts only an enabled rule whose filter covers the whole key prefix', () => {
    const abort = { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } };
    const id = ABORT_INCOMPLETE_UPLOADS_RULE_ID;
    expect(
      abortIncompleteUploadsRule([{ ID: id, Status: 'Enabled', Filter: { Prefix: '' }, ...abort }], 'media/'),
    ).toBeDefined();
    expect(
      abortIncompleteUploadsRule([{ Status: 'Enabled', Filter: { Prefix: 'med' }, ...abort }], 'media/'),
    ).toBeDefined();
    expect(abortIncompleteUploadsRule([{ Status: 'Enabled', ...abort }], 'media/')).toBeDefined();
    expect(abortIncompleteUploadsRule([{ Status: 'Enabled', Prefix: 'media/', ...abort }], 'media/')).toBeDefined();
    expect(abortIncompleteUploadsRule([{ Status: 'Disabled', Filter: { Prefix: '' }, ...abort }], '')).toBeUndefined();
    expect(
      abortIncompleteUploadsRule([{ Status: 'Enabled', Filter: { Prefix: 'other/' }, ...abort }], 'media/'),
    ).toBeUndefined();
    expect(
      abortIncompleteUploadsRule([{ Status: 'Enabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, ...abort }], ''),
    ).toBeUndefined();
    expect(
      abortIncompleteUploadsRule([{ Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }], ''),
    ).toBeUndefined();
  });
});
