/**
 * Correctness checks after the timed work, through a plain SDK client so the
 * driver never vouches for itself. Each check returns a problem description,
 * or undefined when the stored object is what was sent.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Checks stored objects against what the benchmark wrote. */
export class Verifier {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /** The object exists with exactly `bytes` bytes. */
  async size(key: string, bytes: number): Promise<string | undefined> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return head.ContentLength === bytes ? undefined : `${key}: stored ${head.ContentLength} bytes, sent ${bytes}`;
  }

  /** Reading the object back gives bytes whose SHA-256 is `expected`. */
  async sha256(key: string, expected: string): Promise<string | undefined> {
    const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of output.Body as Readable) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    return actual === expected ? undefined : `${key}: read-back SHA-256 ${actual}, expected ${expected}`;
  }

  /** Exactly `count` objects under `prefix`, each of `bytes` bytes. */
  async listing(prefix: string, count: number, bytes: number): Promise<string | undefined> {
    let found = 0;
    let wrongSize = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const entry of page.Contents ?? []) {
        found++;
        if (entry.Size !== bytes) wrongSize++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    if (found === count && wrongSize === 0) return undefined;
    return `${prefix}: ${found} objects listed (expected ${count}), ${wrongSize} with a size other than ${bytes}`;
  }
}
