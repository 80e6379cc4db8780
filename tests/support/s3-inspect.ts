/**
 * Looks straight at a test bucket with a plain SDK client (not through the
 * driver under test): which objects exist, what their stored bytes hash to, and
 * which multipart uploads are open. It can also leave an upload open, as a
 * process killed mid-upload does.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type MultipartUpload,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
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

  // MinIO answers a bucket-wide ListMultipartUploads from an in-memory cache, and a CompleteMultipartUpload or
  // AbortMultipartUpload cut off by a dying client can act on disk yet leave its cache entry behind
  // (erasureServerPools.ListMultipartUploads and its deferred mpCache updates, minio cmd/erasure-server-pool.go).
  // Its per-key listing (Prefix = one exact object name) reads the disk, so each candidate key is confirmed there:
  // a cache ghost holds no parts and costs nothing, and must not read as an open upload.
  const listedUploads = async (Prefix?: string): Promise<MultipartUpload[]> => {
    const uploads: MultipartUpload[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix, KeyMarker, UploadIdMarker }),
      );
      uploads.push(...(page.Uploads ?? []));
      if (!page.IsTruncated) return uploads;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
  };
  const openUploads = async (prefix: string, objectKeys: readonly string[]): Promise<string[]> => {
    const cached = (await listedUploads()).flatMap((upload) => (upload.Key?.startsWith(prefix) ? [upload.Key] : []));
    const candidates = [...new Set([...cached, ...objectKeys])].sort();
    const keys: string[] = [];
    for (const key of candidates) {
      for (const upload of await listedUploads(key)) if (upload.Key === key) keys.push(key);
    }
    return keys;
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
      return {
        objects,
        openUploads: await openUploads(
          prefix,
          objects.map((o) => o.key),
        ),
      };
    },
    /** Starts a multipart upload at `key`, sends its first part, and leaves it open. */
    async leaveUploadOpen(key: string, part: Uint8Array): Promise<void> {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: part }));
    },
    close(): void {
      client.destroy();
    },
  };
}
