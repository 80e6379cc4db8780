/**
 * The baseline: the AWS SDK used directly, the way an application would without
 * Stowage. Same checksum mode as the Stowage presets (WHEN_REQUIRED) and the
 * same lib-storage part size and queue size as the driver, otherwise SDK defaults.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BENCH_CONTENT_TYPE, type BenchSide, WARM_UP_KEY } from './bench-side.js';
import type { ServerTarget, UploadTuning } from './case-spec.js';

/** Creates a plain S3Client for `target` with WHEN_REQUIRED checksums. */
export function createRawClient(target: ServerTarget): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The raw-SDK side of every case. */
export function createRawSide(target: ServerTarget, tuning: UploadTuning): BenchSide {
  const client = createRawClient(target);
  const { bucket } = target;
  return {
    async warmUp() {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: WARM_UP_KEY })).catch((error: unknown) => {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      });
    },
    async upload(key, body, bytes) {
      const stream = 'filePath' in body ? createReadStream(body.filePath) : body;
      await new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: stream, ContentType: BENCH_CONTENT_TYPE },
        partSize: tuning.partSize,
        queueSize: tuning.queueSize,
      }).done();
      return bytes;
    },
    async put(key, body) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: BENCH_CONTENT_TYPE }),
      );
    },
    async open(key) {
      const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return output.Body as Readable;
    },
    async close() {
      client.destroy();
    },
  };
}
