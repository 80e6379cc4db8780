/**
 * Looks straight at a test bucket with a plain SDK client (not through the
 * driver under test): which objects exist, what their stored bytes hash to, and
 * which multipart uploads are open.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServerInfo } from '../../packages/testing/src/index.js';

/** What a bucket holds under a prefix. */
export interface BucketView {
  /** `sha256` is the hex SHA-256 of the bytes the server returns for the object, not any metadata. */
  readonly objects: ReadonlyArray<{ key: string; size: number; sha256: string }>;
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

  // Streams the object through SHA-256: a partial or corrupt object shows up by content, whatever its metadata says.
  const hashStored = async (key: string): Promise<string> => {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = createHash('sha256');
    await pipeline(object.Body as Readable, hash);
    return hash.digest('hex');
  };

  // MinIO takes ListMultipartUploads' Prefix as an exact object name (a folder-like prefix lists nothing):
  // list the bucket's uploads page by page and filter here.
  const openUploads = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
      for (const upload of page.Uploads ?? []) if (upload.Key?.startsWith(prefix)) keys.push(upload.Key);
      if (!page.IsTruncated) return keys;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
  };

  return {
    /** Objects (size and SHA-256 of their stored bytes) and open multipart uploads whose key starts with `prefix`. */
    async view(prefix: string): Promise<BucketView> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const objects = await Promise.all(
        (listed.Contents ?? []).map(async (entry) => {
          const key = entry.Key ?? '';
          return { key, size: entry.Size ?? 0, sha256: await hashStored(key) };
        }),
      );
      return { objects, openUploads: await openUploads(prefix) };
    },
    close(): void {
      client.destroy();
    },
  };
}
