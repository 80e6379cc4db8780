/**
 * A source file that vanishes or changes during a write never crashes the
 * process: a child process (built dist/ code) writes from `{ filePath }`
 * through the local driver and through the S3 driver against MinIO (one PUT,
 * and a multipart upload) while the file is removed, truncated, appended to or
 * replaced before the open, right after it, mid-stream and after the last byte.
 * The child exits non-zero on any uncaught exception or unhandled rejection;
 * every rejection must be a StorageError with the code that names what
 * happened, and nothing may be left behind: no object, no open multipart
 * upload, no temp file.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ErrorCode } from '../packages/storage-core/src/index.js';
import { createTestS3Client } from '../packages/testing/src/index.js';
import { bucketForSuite } from './support/suite-bucket.js';

const CHILD = fileURLToPath(new URL('./fixtures/file-race-child.mjs', import.meta.url));
const BUILT = ['storage-core', 'driver-local', 'driver-s3'].map((name) =>
  fileURLToPath(new URL(`../packages/${name}/dist/index.js`, import.meta.url)),
);
const DRIVERS = ['local', 's3-single', 's3-multipart'] as const;
const CHANGES = ['remove', 'truncate', 'append', 'replace'] as const;
const MOMENTS = ['before-open', 'after-open', 'mid-stream', 'after-last-byte'] as const;
/** Not a regular file at open: refused before a byte is read. */
const NOT_REGULAR = ['directory', 'fifo', 'symlink'] as const;

interface Case {
  readonly id: string;
  readonly driver: (typeof DRIVERS)[number];
  readonly moment: (typeof MOMENTS)[number];
  readonly change: (typeof CHANGES)[number] | (typeof NOT_REGULAR)[number];
}

interface Report extends Case {
  readonly size: number;
  readonly offsetAtChange?: number;
  readonly outcome: 'ok' | 'rejected';
  readonly storedOriginal?: boolean;
  readonly resultSize?: number;
  readonly code?: string;
  readonly isStorageError?: boolean;
  readonly message?: string;
  readonly leftObject?: boolean;
  readonly openUploads?: number;
}

function runChild(config: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name));
}

describe('writes from a file that changes under them', () => {
  const s3 = inject('s3');
  const bucket = bucketForSuite(s3, 'file-races');
  let workDir: string;

  beforeAll(async () => {
    const missing = BUILT.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`build first (pnpm build): missing ${missing.join(', ')}`);
    workDir = await mkdtemp(join(tmpdir(), 'stowage-races-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('the child really fails on an unhandled file-stream error (what the old createReadStream did)', async () => {
    const run = await runChild({ selfTest: true, workDir });
    expect(run.code, run.stdout).toBe(70);
    expect(run.stderr).toMatch(/uncaught exception: .*ENOENT/);
  });

  it('rejects with NOT_FOUND, INVALID_INPUT or CHANGED_DURING_OFFLOAD, never crashes, and leaves nothing behind', {
    timeout: 240_000,
  }, async () => {
    const cases: Case[] = [];
    for (const driver of DRIVERS) {
      for (const moment of MOMENTS) {
        for (const change of CHANGES) cases.push({ id: `${driver}-${moment}-${change}`, driver, moment, change });
      }
      for (const change of NOT_REGULAR)
        cases.push({ id: `${driver}-before-open-${change}`, driver, moment: 'before-open', change });
    }
    const localRoot = join(workDir, 'local-root');
    const run = await runChild({
      s3: {
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
      bucket: bucket.name,
      workDir: join(workDir, 'sources'),
      localRoot,
      cases,
    });
    expect(run.code, `child exited ${run.code}:\n${run.stderr}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('done');
    const reports = lines.slice(0, -1).map((line) => JSON.parse(line) as Report);
    expect(reports.map((report) => report.id)).toEqual(cases.map((item) => item.id));

    for (const report of reports) {
      const label = `${report.id}: ${JSON.stringify(report)}`;
      if (report.driver !== 'local') expect(report.openUploads, label).toBe(0);
      if (report.outcome === 'rejected') {
        expect(report.isStorageError, label).toBe(true);
        expect(report.leftObject, label).toBe(false);
      }
      if (report.moment === 'before-open') {
        const expected =
          report.change === 'remove'
            ? ErrorCode.NotFound
            : (NOT_REGULAR as readonly string[]).includes(report.change)
              ? ErrorCode.InvalidInput
              : ErrorCode.ChangedDuringOffload;
        expect({ outcome: report.outcome, code: report.code }, label).toEqual({ outcome: 'rejected', code: expected });
      } else if (report.moment === 'after-last-byte') {
        // Changed after every byte was read: either the end-of-file check saw it, or the bytes sent were all the
        // original file's (the change came after they were read) and are stored exactly.
        if (report.outcome === 'ok') {
          expect({ stored: report.storedOriginal, size: report.resultSize }, label).toEqual({
            stored: true,
            size: report.size,
          });
        } else expect(report.code, label).toBe(ErrorCode.ChangedDuringOffload);
      } else {
        // Changed while bytes were still to be read: always detected.
        expect(report.offsetAtChange, label).toBeLessThan(report.size);
        expect({ outcome: report.outcome, code: report.code }, label).toEqual({
          outcome: 'rejected',
          code: ErrorCode.ChangedDuringOffload,
        });
      }
    }

    // Nothing behind: no object and no open upload in the bucket, no file (temp or object) under the local root.
    const client = createTestS3Client(s3);
    try {
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
      expect(uploads.Uploads ?? []).toEqual([]);
      const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket.name }));
      expect(objects.Contents ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
    expect(await filesUnder(localRoot)).toEqual([]);
  });
});
