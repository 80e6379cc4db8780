/**
 * The baseline: what an application without Stowage would write, one
 * lib-storage `Upload` per file with a file stream as its body, the same part
 * size and parts in flight as Stowage, the same files in flight (p-limit), and
 * the same checksum mode as the Stowage presets. It verifies nothing. With
 * `steps` (the attribution pass) it adds some of offload's steps around each
 * upload, to price them one at a time.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pLimit from 'p-limit';
import { BENCH_CONTENT_TYPE, WARM_UP_KEY } from '../bench-side.js';
import { createRawClient } from '../raw-side.js';
import type { OffloadRunSpec, RawSteps } from './run-spec.js';
import type { TimedUploads } from './upload-run.js';

const NO_STEPS: RawSteps = { sha256First: false, headAfter: false, presignUrl: false };
/** Lifetime of the presigned URL of the presign step: offload's default. */
const URL_SECONDS = 3600;

async function fileSha256(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Uploads one file with lib-storage, with the extra `steps` around it. */
async function uploadOne(client: S3Client, spec: OffloadRunSpec, key: string, steps: RawSteps): Promise<void> {
  const { bucket } = spec.target;
  const filePath = join(spec.resultsRoot, key);
  const sha256 = steps.sha256First ? await fileSha256(filePath) : undefined;
  await new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: createReadStream(filePath),
      ContentType: BENCH_CONTENT_TYPE,
      ...(sha256 ? { Metadata: { sha256 } } : {}),
    },
    partSize: spec.tuning.partSize,
    queueSize: spec.tuning.queueSize,
  }).done();
  if (steps.headAfter) await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (steps.presignUrl) {
    await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: URL_SECONDS });
  }
}

/** The raw SDK uploads for `spec`. */
export function rawUploads(spec: OffloadRunSpec): TimedUploads {
  const client = createRawClient(spec.target);
  const { bucket } = spec.target;
  return {
    async warmUp() {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: WARM_UP_KEY })).catch((error: unknown) => {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      });
    },
    async upload(keys) {
      const limit = pLimit(spec.concurrency);
      const steps = (spec.contender.kind === 'raw' ? spec.contender.steps : undefined) ?? NO_STEPS;
      await Promise.all(keys.map((key) => limit(() => uploadOne(client, spec, key, steps))));
      return [];
    },
    async close() {
      client.destroy();
    },
  };
}
