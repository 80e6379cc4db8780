/**
 * The baseline: what an application without Stowage would write, one
 * lib-storage `Upload` per file with a file stream as its body, the same part
 * size and parts in flight as Stowage, the same files in flight (p-limit), and
 * the same checksum mode as the Stowage presets. It verifies nothing.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import { BENCH_CONTENT_TYPE, WARM_UP_KEY } from '../bench-side.js';
import { createRawClient } from '../raw-side.js';
import type { OffloadRunSpec } from './run-spec.js';
import type { TimedUploads } from './upload-run.js';

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
      await Promise.all(
        keys.map((key) =>
          limit(() =>
            new Upload({
              client,
              params: {
                Bucket: bucket,
                Key: key,
                Body: createReadStream(join(spec.resultsRoot, key)),
                ContentType: BENCH_CONTENT_TYPE,
              },
              partSize: spec.tuning.partSize,
              queueSize: spec.tuning.queueSize,
            }).done(),
          ),
        ),
      );
      return [];
    },
    async close() {
      client.destroy();
    },
  };
}
