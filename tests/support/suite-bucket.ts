/**
 * One test bucket for the calling file (or describe block): made before its
 * first test and removed, objects and all, after its last. The returned
 * object names the bucket and looks straight at it (see s3-inspect.ts), so
 * use it inside tests and hooks only.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestBucket, removeTestBucket, type S3TestServerInfo } from '../../packages/testing/src/index.js';
import { type BucketView, inspectBucket } from './s3-inspect.js';

/** The suite's bucket: its name, and a plain SDK client's view of it. */
export interface SuiteBucket {
  /** The bucket's name (unique per run, from `createTestBucket`). */
  readonly name: string;
  /** Objects (size and SHA-256 of their stored bytes) and open multipart uploads under `prefix`. */
  view(prefix: string): Promise<BucketView>;
  /** Starts a multipart upload at `key`, sends its first part, and leaves it open. */
  leaveUploadOpen(key: string, part: Uint8Array): Promise<void>;
}

/** A bucket on `s3` named after `label`, for every test of the calling suite. */
export function bucketForSuite(s3: S3TestServerInfo, label: string): SuiteBucket {
  let name: string | undefined;
  let inspector: ReturnType<typeof inspectBucket> | undefined;
  beforeAll(async () => {
    name = await createTestBucket(s3, label);
  });
  afterAll(async () => {
    inspector?.close();
    if (name) await removeTestBucket(s3, name);
  });
  const bucket = (): string => {
    if (!name) throw new Error(`the ${label} bucket exists only while the suite runs`);
    return name;
  };
  const inspect = (): ReturnType<typeof inspectBucket> => {
    inspector ??= inspectBucket(s3, bucket());
    return inspector;
  };
  return {
    get name() {
      return bucket();
    },
    view: (prefix) => inspect().view(prefix),
    leaveUploadOpen: (key, part) => inspect().leaveUploadOpen(key, part),
  };
}
