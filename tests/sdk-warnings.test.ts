/**
 * The AWS SDK's own warnings go to the app's logger, never to the console.
 * Left to itself the SDK writes one to the console for every failed streamed
 * request (a multipart part cut mid-body), even with its retries off; here
 * toxiproxy cuts the parts between the driver and a real MinIO, the result
 * stays local, and the warning must arrive in the app's pino logs, tagged
 * with the backend, and nowhere else.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { createS3Driver, minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type Storage, StorageError } from '../packages/storage-core/src/index.js';
import { createS3Proxy, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, fileSha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();
const MiB = 1024 * 1024;
const SDK_STREAMING_WARNING = 'An error was encountered in a non-retryable streaming request.';

describe('warnings of the AWS SDK', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'sdk-warnings');
  let ws: Workspace;
  let proxy: ToxiproxyProxy;
  let endpoint: string;
  let lines: string[];
  let storage: Storage;

  beforeEach(async () => {
    ws = await createWorkspace();
    lines = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    ({
      proxy,
      info: { endpoint },
    } = await createS3Proxy(toxiproxy, s3));
    storage = await ws.open({ logger });
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', settings());
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await ws.remove();
    await proxy.delete();
  });

  /** One 5 MiB part at a time and no retries, so every part meets the cut once. */
  function settings() {
    const { accessKeyId, secretAccessKey, region } = s3;
    return {
      endpoint,
      region,
      bucket: bucket.name,
      accessKeyId,
      secretAccessKey,
      partSize: 5 * MiB,
      queueSize: 1,
      retries: 0,
    };
  }

  function silenceConsole() {
    return (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => undefined),
    );
  }

  async function cutEveryPart(): Promise<void> {
    // Each connection carries at most 1 MiB towards MinIO: the small requests
    // that open and abort the multipart upload pass, every 5 MiB part is cut mid-body.
    await proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: MiB } });
  }

  it('sends the warning for parts cut mid-body to the app logger with the backend name, and nothing to the console', async () => {
    const consoleCalls = silenceConsole();
    await cutEveryPart();
    const sha = await ws.addResult('videos/cut.mp4', 12 * MiB);

    const outcome = await storage.offload({ path: 'videos/cut.mp4' });

    expect(outcome).toMatchObject({ status: 'local', failedStage: 'upload', localDeleted: false });
    expect(await bucket.view('videos/')).toEqual({ objects: [], openUploads: [] });
    const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === SDK_STREAMING_WARNING);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    for (const warning of warnings) {
      expect(warning).toMatchObject({ level: 40, backend: 'minio', source: 'aws-sdk' });
    }
    expect(lines.join('')).not.toContain(s3.secretAccessKey);
    for (const call of consoleCalls) expect(call).not.toHaveBeenCalled();
    expect(await fileSha256(`${ws.resultsRoot}/videos/cut.mp4`)).toBe(sha);
  });

  it('logs the warning once for an outage that cuts every part of several uploads', async () => {
    silenceConsole();
    await cutEveryPart();
    for (const name of ['a', 'b', 'c']) await ws.addResult(`videos/${name}.mp4`, 12 * MiB);

    const outcomes = await storage.offloadMany(['a', 'b', 'c'].map((name) => ({ path: `videos/${name}.mp4` })));

    expect(outcomes.map((outcome) => [outcome.status, outcome.failedStage])).toEqual([
      ['local', 'upload'],
      ['local', 'upload'],
      ['local', 'upload'],
    ]);
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries.filter((entry) => entry.msg === SDK_STREAMING_WARNING)).toHaveLength(1);
    // Stowage's own warning still names each result that stayed local.
    const failed = entries.filter((entry) => entry.msg === 'offload failed; the result stays on local disk');
    expect(failed.map((entry) => entry.key).sort()).toEqual(['videos/a.mp4', 'videos/b.mp4', 'videos/c.mp4']);

    // Closing says how many it held back, so the end of an outage is not left unsaid.
    await storage.close();
    const held = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === SDK_STREAMING_WARNING);
    expect(held).toHaveLength(2);
    expect(held[1]).toMatchObject({ level: 40, backend: 'minio', source: 'aws-sdk' });
    expect(held[1].repeated).toBeGreaterThanOrEqual(2);
  });

  it('keeps the console silent for a driver built without a logger', async () => {
    const consoleCalls = silenceConsole();
    await cutEveryPart();
    await ws.addResult('videos/direct.mp4', 12 * MiB);
    const driver = createS3Driver({ provider: 'minio', ...settings() });
    try {
      const failure = await driver.write('videos/direct.mp4', { filePath: `${ws.resultsRoot}/videos/direct.mp4` }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(StorageError);
      expect((failure as StorageError).code).toBe(ErrorCode.Unavailable);
    } finally {
      await driver.close();
    }
    for (const call of consoleCalls) expect(call).not.toHaveBeenCalled();
  });
});
