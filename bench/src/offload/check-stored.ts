/**
 * Checks a run's stored objects through a plain SDK client, after the timed
 * work, so no contender vouches for itself: the listing under the workload
 * prefix holds exactly the expected keys with the expected sizes, every object
 * read back has the local file's SHA-256, and no multipart upload is left open.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { ExpectedFiles } from './result-files.js';

/** Reads at once while checking hashes. */
const READ_CONCURRENCY = 8;
/** Problems listed per run before the rest are summed up. */
const MAX_LISTED = 5;

async function listSizes(client: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const entry of page.Contents ?? []) if (entry.Key !== undefined) sizes.set(entry.Key, entry.Size ?? -1);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return sizes;
}

async function readBackSha256(client: S3Client, bucket: string, key: string): Promise<string> {
  const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of output.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every problem with the objects under `<prefix>/` in `bucket` against `expected`; empty when all is right. */
export async function checkStored(
  client: S3Client,
  bucket: string,
  prefix: string,
  expected: ExpectedFiles,
): Promise<string[]> {
  const problems: string[] = [];
  const stored = await listSizes(client, bucket, `${prefix}/`);
  const missing = [...expected.keys()].filter((key) => !stored.has(key));
  const extra = [...stored.keys()].filter((key) => !expected.has(key));
  const wrongSize = [...expected].filter(([key, file]) => stored.has(key) && stored.get(key) !== file.size);
  if (missing.length > 0) problems.push(`${missing.length} objects missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  if (extra.length > 0) problems.push(`${extra.length} unexpected objects, e.g. ${extra.slice(0, 3).join(', ')}`);
  for (const [key, file] of wrongSize.slice(0, MAX_LISTED)) {
    problems.push(`${key}: stored ${stored.get(key)} bytes, the file has ${file.size}`);
  }
  const limit = pLimit(READ_CONCURRENCY);
  const hashProblems = (
    await Promise.all(
      [...expected]
        .filter(([key]) => stored.has(key))
        .map(([key, file]) =>
          limit(async () => {
            const actual = await readBackSha256(client, bucket, key);
            return actual === file.sha256
              ? undefined
              : `${key}: read-back SHA-256 ${actual}, the file's ${file.sha256}`;
          }),
        ),
    )
  ).filter((problem): problem is string => problem !== undefined);
  problems.push(...hashProblems.slice(0, MAX_LISTED));
  if (hashProblems.length > MAX_LISTED) problems.push(`${hashProblems.length - MAX_LISTED} more SHA-256 mismatches`);
  const open = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
  if ((open.Uploads ?? []).length > 0) problems.push(`${open.Uploads?.length} multipart uploads left open`);
  return problems;
}
