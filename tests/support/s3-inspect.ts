/**
 * Looks straight at a test bucket with a plain SDK client (not through the
 * driver under test): which objects exist and which multipart uploads are open.
 */
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServerInfo } from '../../packages/driver-s3/src/testing/index.js';

/** What a bucket holds under a prefix. */
export interface BucketView {
  readonly objects: ReadonlyArray<{ key: string; size: number; sha256: string | undefined }>;
  readonly openUploads: readonly string[];
}

/** An inspector for one bucket on the (unproxied) test server. */
export function inspectBucket(info: S3TestServerInfo, bucket: string) {
  const client = new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
  });
  return {
    /** Objects (with their sha256 metadata) and open multipart uploads whose key starts with `prefix`. */
    async view(prefix: string): Promise<BucketView> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const objects = await Promise.all(
        (listed.Contents ?? []).map(async (entry) => {
          const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: entry.Key }));
          return { key: entry.Key ?? '', size: entry.Size ?? 0, sha256: head.Metadata?.sha256 };
        }),
      );
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return { objects, openUploads: (uploads.Uploads ?? []).map((upload) => upload.Key ?? '') };
    },
    close(): void {
      client.destroy();
    },
  };
}
