/**
 * Key templates against a real S3 server (MinIO), through the registry and
 * offload as an app uses them: the file lands at the templated key (under the
 * key prefix), its URL fetches it, and a retry after a network fault keeps the
 * key the first attempt chose (no second uuid or timestamp, no second object),
 * whether the app or the worker retries, also when the first attempt's answer
 * was lost after MinIO stored the object (then even a template changed
 * meanwhile keeps the key: the abandoned attempt's intent names it).
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { derivedUuid, ErrorCode, type Storage } from '../packages/storage-core/src/index.js';
import { createS3Proxy, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, eventually, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();
/** Each test its own key prefix in the shared bucket. */
let PREFIX = '';
let tests = 0;
const TEMPLATE = 'img/{year}/{uuid}-{timestamp}.{extName}';

describe('key templates on MinIO through the registry and offload', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'key-template');
  let proxy: ToxiproxyProxy;
  let ws: Workspace;
  let storage: Storage;
  let settings: Record<string, unknown>;

  beforeEach(async () => {
    const proxied = await createS3Proxy(toxiproxy, s3);
    proxy = proxied.proxy;
    PREFIX = `tenant-k${++tests}`;
    ws = await createWorkspace();
    storage = await ws.open({ uploadTimeoutMs: 20_000 });
    storage.registry.register(minioDriverDefinition);
    settings = {
      endpoint: proxied.info.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      keyPrefix: PREFIX,
      keyTemplate: TEMPLATE,
      retries: 1,
      retryDelayMs: 100,
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 2500,
    };
    await storage.registry.saveSettings('minio', settings);
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    await proxy.delete();
    await ws.remove();
  });

  /** The key the template gives the original of the record at `path`, from the catalog's facts. */
  async function expectedKey(path: string): Promise<string> {
    const record = await storage.catalog?.findByPath(path);
    if (!record) throw new Error(`no record for ${path}`);
    const year = new Date(record.createdAt).getUTCFullYear();
    return `img/${year}/${derivedUuid(`${record.id}\u0000`)}-${record.createdAt}.png`;
  }

  async function objectsUnder(folder: string) {
    return (await bucket.view(`${PREFIX}/${folder}`)).objects;
  }

  it('lands the file at the templated key under the prefix; the outcome names it and its URL fetches it', async () => {
    const sha = await ws.addResult('studio/first.png', 4096);
    const outcome = await storage.offload({ path: 'studio/first.png' });
    const key = await expectedKey('studio/first.png');
    expect(outcome).toMatchObject({ status: 'offloaded', key, location: `minio:${key}`, urlKind: 'signed' });
    expect(await objectsUnder('img/')).toEqual([{ key: `${PREFIX}/${key}`, size: 4096, sha256: sha }]);
    const response = await fetch(outcome.url as string);
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha);
    expect((await storage.catalog?.resolve(outcome.location))?.key).toBe(key);
  });

  it('a retry after the server was down uses the key fixed at the first attempt', async () => {
    const sha = await ws.addResult('studio/down.png', 3000);
    await proxy.disable();
    const failed = await storage.offload({ path: 'studio/down.png' });
    expect(failed).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
    const key = await expectedKey('studio/down.png');
    await proxy.enable();
    const retried = await storage.offload({ path: 'studio/down.png' });
    expect(retried).toMatchObject({ status: 'offloaded', key, sha256: sha });
    expect(await expectedKey('studio/down.png')).toBe(key);
  });

  it('the worker, sending the result once the server is back, uses the key fixed at the first attempt', async () => {
    const sha = await ws.addResult('studio/worker.png', 3500);
    await storage.close();
    storage = await ws.open({ uploadTimeoutMs: 20_000, retry: { firstDelayMs: 150, maxDelayMs: 600, jitter: 0.2 } });
    storage.registry.register(minioDriverDefinition);
    await proxy.disable();
    expect((await storage.offload({ path: 'studio/worker.png' })).status).toBe('local');
    const key = await expectedKey('studio/worker.png');
    await proxy.enable();
    storage.startWorker({ pollIntervalMs: 50 });
    await eventually(
      async () => (await storage.catalog?.findByPath('studio/worker.png'))?.state === 'offloaded',
      15_000,
      'the worker offloaded it',
    );
    await storage.stopWorker();
    expect(await storage.catalog?.findByPath('studio/worker.png')).toMatchObject({ key, attempts: 0 });
    expect(await objectsUnder('img/')).toEqual([{ key: `${PREFIX}/${key}`, size: 3500, sha256: sha }]);
  });

  it('a retry after a lost answer (MinIO stored it) keeps that key, and the bucket holds one object', async () => {
    const sha = await ws.addResult('studio/lost.png', 2500);
    await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 0 }, stream: 'downstream' });
    const failed = await storage.offload({ path: 'studio/lost.png' });
    await proxy.removeAllToxics();
    expect(failed).toMatchObject({ status: 'local', error: { code: ErrorCode.Unavailable } });
    const left = await objectsUnder('img/');
    expect(left).toHaveLength(1);
    // Even a template changed meanwhile does not move it: the abandoned attempt's intent names the key.
    await storage.registry.saveSettings('minio', { ...settings, keyTemplate: 'other/{uuid}.{extName}' });

    const retried = await storage.offload({ path: 'studio/lost.png' });
    expect(retried).toMatchObject({ status: 'offloaded', sha256: sha });
    expect(`${PREFIX}/${retried.key}`).toBe(left[0]?.key);
    expect(await objectsUnder('img/')).toEqual([{ key: left[0]?.key, size: 2500, sha256: sha }]);
    const response = await fetch(retried.url as string);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha);
  });
});
