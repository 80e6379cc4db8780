/**
 * Racing the generator: while an offload with delete-local runs against MinIO
 * (through toxiproxy, so each request takes a while), the generator renames a
 * new version over the result, or is still appending to it. Whatever the
 * moment, no version is lost: the newest bytes are on local disk, or, when
 * the local copy was removed, at the outcome's location; an outcome never
 * claims bytes the backend does not hold; and the next offload sends the new
 * version.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { minioDriverDefinition } from '../packages/driver-s3/src/index.js';
import { ErrorCode, type OffloadOutcome, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createS3Proxy, type ToxiproxyProxy } from '../packages/testing/src/index.js';
import { fileToxiproxy } from '../test-support/file-toxiproxy.js';
import { createWorkspace, fileSha256, sha256, type Workspace } from './support/fixture.js';
import { bucketForSuite } from './support/suite-bucket.js';

const toxiproxy = await fileToxiproxy();

const RACES = 30;

describe('offload with delete-local while the generator rewrites the result', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'offload-races');
  let proxy: ToxiproxyProxy;
  let ws: Workspace;
  let storage: Storage;

  beforeAll(async () => {
    const proxied = await createS3Proxy(toxiproxy, s3);
    proxy = proxied.proxy;
    // Every answer takes 25 ms more: an offload lasts long enough for the generator to strike mid-way.
    await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 25 } });
    ws = await createWorkspace();
    storage = await ws.open();
    storage.registry.register(minioDriverDefinition);
    await storage.registry.saveSettings('minio', {
      endpoint: proxied.info.endpoint,
      region: s3.region,
      bucket: bucket.name,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      deleteLocal: true,
    });
    await storage.registry.enable('minio');
    await storage.registry.setDefault('minio');
  }, 60_000);
  afterAll(async () => {
    await ws.remove();
    await proxy.delete();
  });

  /** The newest bytes of `path` must be readable: locally, or at the outcome's location once the local copy is gone. */
  async function expectNewestKept(path: string, newest: string, outcome: OffloadOutcome): Promise<string> {
    const local = await fileSha256(join(ws.resultsRoot, path));
    if (outcome.status === 'offloaded') {
      const remote = sha256(await streamToBuffer(await storage.read(outcome.location)));
      expect(remote, 'the outcome claims bytes the backend does not hold').toBe(outcome.sha256);
    }
    if (local === undefined) {
      expect(outcome.localDeleted, `${path}: no local copy, yet the outcome did not remove it`).toBe(true);
      expect(outcome.sha256, `${path}: the local copy was removed but the newest version is not stored`).toBe(newest);
      return 'removed-after-verify';
    }
    expect(local, `${path}: the local copy is not the newest version`).toBe(newest);
    if (outcome.status === 'local') {
      expect(outcome.error?.code).toBe(ErrorCode.ChangedDuringOffload);
      return 'changed-during-upload';
    }
    return outcome.localDeleteError?.code === ErrorCode.ChangedDuringOffload ? 'changed-before-removal' : 'other';
  }

  async function thenTheNextOffloadSendsIt(path: string, newest: string): Promise<void> {
    const again = await storage.offload({ path });
    expect(again).toMatchObject({ status: 'offloaded', sha256: newest, localDeleted: true });
    expect(sha256(await streamToBuffer(await storage.read(again.location)))).toBe(newest);
  }

  it(`loses no version when a new one is renamed over the result during ${RACES} offloads`, async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < RACES; i++) {
      const path = `renamed/${i}.png`;
      await ws.addResult(path, 40_000);
      const next = randomBytes(40_000);
      const running = storage.offload({ path });
      await sleep(Math.random() * 140);
      await writeFile(join(ws.resultsRoot, `renamed/.${i}.tmp`), next);
      await rename(join(ws.resultsRoot, `renamed/.${i}.tmp`), join(ws.resultsRoot, path));
      const how = await expectNewestKept(path, sha256(next), await running);
      seen.set(how, (seen.get(how) ?? 0) + 1);
      if (how !== 'removed-after-verify') await thenTheNextOffloadSendsIt(path, sha256(next));
    }
    // The random moments really hit the upload, not only the quiet time after it.
    expect(seen.get('changed-during-upload') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
  });

  it(`loses no bytes when the generator is still appending during ${RACES} offloads`, async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < RACES; i++) {
      const path = `appended/${i}.mp4`;
      await ws.addResult(path, 30_000);
      const running = storage.offload({ path });
      await sleep(Math.random() * 140);
      await appendFile(join(ws.resultsRoot, path), randomBytes(10_000));
      const outcome = await running;
      // The file as the generator left it (or, once removed, what was verified and removed).
      const full = (await fileSha256(join(ws.resultsRoot, path))) ?? (outcome.sha256 as string);
      const how = await expectNewestKept(path, full, outcome);
      seen.set(how, (seen.get(how) ?? 0) + 1);
      if (how !== 'removed-after-verify') await thenTheNextOffloadSendsIt(path, full);
    }
    expect(seen.get('changed-during-upload') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(0);
  });
});
