/**
 * Canaries for what this package relies on inside the AWS SDK, beyond its
 * public API. They need no server: the subject is lib-storage's own code, so
 * the client it is handed is a real S3Client whose `send` answers from here
 * and records what it was asked. When an SDK bump changes one of these facts,
 * the test names the file that must change with it.
 *
 * - upload.ts waits for lib-storage's private `concurrentUploaders` (the part
 *   uploads in flight) before aborting an upload id, because `done()` rejects
 *   as soon as the upload is aborted, while parts are still being sent
 *   (https://github.com/aws/aws-sdk-js-v3/pull/7322 would make Upload wait itself).
 * - abortable-client.ts gives Upload a view of the client that overrides only
 *   `send`, because Upload reaches its client through `send` and `config` only
 *   and passes no abortSignal to any request
 *   (https://github.com/aws/aws-sdk-js-v3/issues/5109).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describe, expect, it } from 'vitest';
import { abortableClient } from '../src/abortable-client.js';

const PART = 5 * 1024 * 1024;

interface Sent {
  readonly command: string;
  readonly options: unknown;
}

/** A real client that never reaches a network: `answer` replies to each command by name. */
function answeringClient(answer: (command: string, input: Record<string, unknown>) => Promise<unknown>) {
  const real = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'canary-secret' },
  });
  const sent: Sent[] = [];
  const touched = new Set<string>();
  const send = (command: { constructor: { name: string }; input: Record<string, unknown> }, options?: unknown) => {
    sent.push({ command: command.constructor.name, options });
    return answer(command.constructor.name, command.input);
  };
  const client = new Proxy(real, {
    get(target, property, receiver) {
      touched.add(String(property));
      return property === 'send' ? send : Reflect.get(target, property, receiver);
    },
  });
  return { client, sent, touched, destroy: () => real.destroy() };
}

const replies = async (command: string, input: Record<string, unknown>): Promise<unknown> => {
  switch (command) {
    case 'CreateMultipartUploadCommand':
      return { UploadId: 'upload-1' };
    case 'UploadPartCommand':
      return { ETag: `"part-${input.PartNumber}"` };
    default:
      return { ETag: '"etag"' };
  }
};

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) throw new Error('timed out waiting for lib-storage');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('lib-storage Upload, as abortable-client.ts relies on it', () => {
  it('reaches its client only through send and config, single-part and multipart', async () => {
    const { client, sent, touched, destroy } = answeringClient(replies);
    await new Upload({ client, params: { Bucket: 'b', Key: 'small', Body: Buffer.alloc(10) } }).done();
    await new Upload({
      client,
      params: { Bucket: 'b', Key: 'big', Body: Buffer.alloc(2 * PART + 1) },
      partSize: PART,
    }).done();
    destroy();
    expect(
      [...touched].sort(),
      'Upload now touches more of its client than send and config: check that abortable-client.ts still cancels every request',
    ).toEqual(['config', 'send']);
    expect(sent.map((s) => s.command)).toEqual([
      'PutObjectCommand',
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
    ]);
  });

  it('sends its requests without an abortSignal (aws-sdk-js-v3#5109), so abortable-client.ts must add one', async () => {
    const { client, sent, destroy } = answeringClient(replies);
    await new Upload({ client, params: { Bucket: 'b', Key: 'small', Body: Buffer.alloc(10) } }).done();
    await new Upload({
      client,
      params: { Bucket: 'b', Key: 'big', Body: Buffer.alloc(PART + 1) },
      partSize: PART,
    }).done();
    destroy();
    expect(
      sent.map((s) => s.options),
      'Upload now passes options (an abortSignal?) to send: see whether abortable-client.ts is still needed',
    ).toEqual(sent.map(() => undefined));
  });

  it('gets every request but CreateMultipartUpload cancelled through the abortable view, which overrides only send', async () => {
    const { client, sent, destroy } = answeringClient(replies);
    const controller = new AbortController();
    const view = abortableClient(client, controller.signal);
    expect(view.config).toBe(client.config);
    await new Upload({
      client: view,
      params: { Bucket: 'b', Key: 'big', Body: Buffer.alloc(PART + 1) },
      partSize: PART,
    }).done();
    destroy();
    expect(sent.map(({ command }) => command)).toContain('CreateMultipartUploadCommand');
    for (const { command, options } of sent) {
      const signal = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
      // Left to finish: its id is what an aborted write aborts the upload by.
      if (command === 'CreateMultipartUploadCommand') expect(signal).toBeUndefined();
      else expect(signal).toBe(controller.signal);
    }
  });
});

describe('lib-storage Upload, as upload.ts relies on it', () => {
  it('rejects done() at once on abort while parts are in flight; concurrentUploaders settle only after them', async () => {
    const inFlight: Array<() => void> = [];
    const { client, sent, destroy } = answeringClient((command, input) =>
      command === 'UploadPartCommand'
        ? new Promise((resolve) => inFlight.push(() => resolve({ ETag: `"part-${input.PartNumber}"` })))
        : replies(command, input),
    );
    const controller = new AbortController();
    const upload = new Upload({
      client,
      params: { Bucket: 'b', Key: 'big', Body: Buffer.alloc(3 * PART + 1) },
      partSize: PART,
      queueSize: 2,
      abortController: controller,
    });
    const done = upload.done();
    await until(() => inFlight.length === 2);
    expect(upload.uploadId, 'Upload.uploadId is what upload.ts aborts by id').toBe('upload-1');

    const uploaders = (upload as unknown as { concurrentUploaders?: unknown }).concurrentUploaders;
    expect(
      uploaders,
      'lib-storage renamed or removed Upload.concurrentUploaders: abortUnfinished() in upload.ts must wait for in-flight parts another way',
    ).toBeInstanceOf(Array);
    expect(uploaders as Promise<unknown>[]).toHaveLength(2);

    controller.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    let settled = false;
    const allSettled = Promise.allSettled(uploaders as Promise<unknown>[]).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled, 'concurrentUploaders settled while parts were still in flight').toBe(false);
    for (const finish of inFlight.splice(0)) finish();
    await allSettled;
    expect(settled).toBe(true);
    // No part was started after the abort.
    expect(sent.filter((s) => s.command === 'UploadPartCommand')).toHaveLength(2);
    destroy();
  });
});
