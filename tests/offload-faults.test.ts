/**
 * Offload under real network faults: toxiproxy sits between the S3 driver and
 * MinIO. For every fault the result stays local and intact, nothing is thrown,
 * the bucket shows no partial object and no open multipart upload, and the
 * next offload after the fault clears succeeds.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition, type S3Driver, type S3Settings } from '../packages/driver-s3/src/index.js';
import { type DriverDefinition, ErrorCode, type Storage } from '../packages/storage-core/src/index.js';
import { createS3Proxy, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, fileSha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();

/** Bigger than one part, so the upload is multipart and a fault can leave parts behind. */
const RESULT_SIZE = 6 * 1024 * 1024;
const PART_SIZE = 5 * 1024 * 1024;

/** One SDK command the driver sent, and how it ended. */
interface SentCommand {
  readonly command: string;
  readonly failed: boolean;
}

interface Fault {
  readonly name: string;
  readonly apply: (proxy: ToxiproxyProxy) => Promise<void>;
  readonly codes: readonly string[];
  /** Checks, from the commands the driver sent, that the fault struck where it claims to. */
  readonly struck?: (sent: readonly SentCommand[]) => void;
}

const FAULTS: readonly Fault[] = [
  {
    name: 'connection reset mid-upload',
    async apply(proxy) {
      // Each connection is cut after 1.5 MiB sent: small requests pass, a 5 MiB part dies with its bytes on the wire.
      await proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 1.5 * 1024 * 1024 } });
    },
    codes: [ErrorCode.Unavailable],
    struck(sent) {
      // Every attempt got as far as creating the multipart upload, then lost a part mid-body.
      const created = sent.filter((c) => c.command === 'CreateMultipartUploadCommand');
      expect(created.length).toBeGreaterThanOrEqual(2);
      expect(created.every((c) => !c.failed)).toBe(true);
      expect(sent.filter((c) => c.command === 'UploadPartCommand' && c.failed).length).toBeGreaterThanOrEqual(2);
      expect(sent.some((c) => c.command === 'CompleteMultipartUploadCommand')).toBe(false);
    },
  },
  {
    name: 'latency beyond the timeout',
    async apply(proxy) {
      await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 6000 } });
    },
    codes: [ErrorCode.Timeout, ErrorCode.Unavailable],
  },
  {
    name: 'server down',
    async apply(proxy) {
      await proxy.disable();
    },
    codes: [ErrorCode.Unavailable],
  },
  {
    name: 'bandwidth cut to a trickle',
    async apply(proxy) {
      await proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 2 } });
    },
    codes: [ErrorCode.Timeout, ErrorCode.Unavailable],
  },
];

describe('offload under network faults (toxiproxy between the S3 driver and MinIO)', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'offload-faults');
  let proxy: ToxiproxyProxy;
  let ws: Workspace;
  let storage: Storage;
  let settings: Record<string, unknown>;
  let sent: SentCommand[];

  beforeEach(async () => {
    const proxied = await createS3Proxy(toxiproxy, s3);
    proxy = proxied.proxy;
    ws = await createWorkspace();
    storage = await ws.open({ uploadTimeoutMs: 30_000 });
    sent = [];
    storage.registry.register(recordingDefinition(sent));
    settings = {
      endpoint: proxied.info.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSize: PART_SIZE,
      retries: 1,
      retryDelayMs: 100,
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 2500,
      idleTimeoutMs: 2000,
      deleteLocal: true,
    };
    await storage.registry.saveSettings('minio', settings);
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    await proxy.delete();
    await ws.remove();
  });

  it('a fault that clears while the driver backs off is retried, and the offload succeeds', async () => {
    await storage.registry.saveSettings('minio', { ...settings, retryDelayMs: 1500 });
    const path = 'faults/transient/result.mp4';
    const sha = await ws.addResult(path, RESULT_SIZE);
    // Every connection is reset at once; the fault clears well before the first retry (1.5-3 s later).
    await proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const clear = new Promise<void>((resolve) => setTimeout(() => resolve(proxy.removeAllToxics()), 500));
    const outcome = await storage.offload({ path });
    await clear;
    expect(outcome).toMatchObject({ status: 'offloaded', location: `minio:${path}`, sha256: sha, localDeleted: true });
    // It took at least one backoff: the first attempt failed and a later one succeeded.
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1500);
    expect(await bucket.view(path)).toEqual({
      objects: [{ key: path, size: RESULT_SIZE, sha256: sha }],
      openUploads: [],
    });
  });

  it.each(FAULTS)('$name: the result stays local and intact, then the next offload succeeds', async (fault) => {
    const path = `faults/${fault.name.replaceAll(' ', '-')}/result.mp4`;
    const sha = await ws.addResult(path, RESULT_SIZE);
    const failures: string[] = [];
    storage.events.on('offload:failed', (event) => failures.push(event.code));

    await fault.apply(proxy);
    const outcome = await storage.offload({ path });

    expect(outcome).toMatchObject({
      status: 'local',
      location: `local:${path}`,
      localDeleted: false,
      failedStage: 'upload',
    });
    expect(fault.codes).toContain(outcome.error?.code);
    expect(failures).toEqual([outcome.error?.code]);
    fault.struck?.(sent);
    expect(await fileSha256(join(ws.resultsRoot, path))).toBe(sha);

    await proxy.removeAllToxics();
    await proxy.enable();
    const during = await bucket.view(path);
    // Nothing partial: either no object, or (a response lost after success) the complete one.
    for (const object of during.objects) expect(object).toMatchObject({ size: RESULT_SIZE, sha256: sha });
    expect(during.openUploads, 'multipart uploads left open by the failed offload').toEqual([]);

    const retried = await storage.offload({ path });
    expect(retried).toMatchObject({ status: 'offloaded', location: `minio:${path}`, localDeleted: true, sha256: sha });
    const after = await bucket.view(path);
    expect(after.objects).toEqual([{ key: path, size: RESULT_SIZE, sha256: sha }]);
    expect(after.openUploads).toEqual([]);
  });
});

/** The MinIO entry, with drivers that record every SDK command they send and whether it failed. */
function recordingDefinition(sent: SentCommand[]): DriverDefinition<S3Settings> {
  return {
    ...minioDriverDefinition,
    create(settings) {
      const driver = minioDriverDefinition.create(settings) as S3Driver;
      driver.client.middlewareStack.add(
        (next, context) => async (args) => {
          const command = context.commandName ?? 'unknown';
          try {
            const result = await next(args);
            sent.push({ command, failed: false });
            return result;
          } catch (error) {
            sent.push({ command, failed: true });
            throw error;
          }
        },
        { step: 'initialize', name: 'stowageTestRecordCommands' },
      );
      return driver;
    },
  };
}
