import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  configureFailureReport,
  describeProbeFailure,
  ErrorCode,
  PROBE_KEY_PREFIX,
  type ProbeStep,
  runProbe,
  type StorageDriver,
  StorageError,
} from '../src/index.js';

type ProbeTarget = Pick<StorageDriver, 'kind' | 'write' | 'read' | 'delete'>;

/**
 * A backend kept in a Map. The probe's own logic (step order, cleanup, wording)
 * is what these tests prove; real backends are probed in each driver's
 * conformance run. `fail` makes one step throw the given error.
 */
function memoryTarget(fail: Partial<Record<'write' | 'read' | 'delete', Error>> = {}, corrupt = false) {
  const objects = new Map<string, Buffer>();
  const calls: string[] = [];
  const target: ProbeTarget = {
    kind: 'memory',
    async write(key, body) {
      calls.push(`write ${key}`);
      if (fail.write) throw fail.write;
      objects.set(key, Buffer.from(body as Uint8Array));
      return { key, size: objects.get(key)?.length ?? 0, etag: undefined, checksum: 'none' };
    },
    async read(key) {
      calls.push(`read ${key}`);
      if (fail.read) throw fail.read;
      const bytes = objects.get(key) ?? Buffer.alloc(0);
      return Readable.from([corrupt ? Buffer.from('something else') : bytes]);
    },
    async delete(key) {
      calls.push(`delete ${key}`);
      if (fail.delete) throw fail.delete;
      objects.delete(key);
    },
  };
  return { target, objects, calls };
}

describe('runProbe', () => {
  it('passes write, read, compare and delete and leaves nothing behind', async () => {
    const { target, objects, calls } = memoryTarget();
    const report = await runProbe(target);
    expect(report.ok).toBe(true);
    expect(report.message).toBe('Connection OK: the probe object was uploaded, read back and deleted.');
    expect(report.steps.map((step) => step.step)).toEqual(['write', 'read', 'compare', 'delete']);
    expect(objects.size).toBe(0);
    expect(calls[0]).toMatch(new RegExp(`^write ${PROBE_KEY_PREFIX.replace('.', '\\.')}[0-9a-f-]{36}\\.txt$`));
  });

  it('runs the connect step first when given, and stops there when it fails', async () => {
    const { target, calls } = memoryTarget();
    const report = await runProbe(target, {
      connect: async () => {
        throw new StorageError(ErrorCode.Unavailable, 'connect ECONNREFUSED 127.0.0.1:9');
      },
    });
    expect(report.ok).toBe(false);
    expect(report.failedStep).toBe('connect');
    expect(report.code).toBe(ErrorCode.Unavailable);
    expect(report.message).toBe(
      'Connecting failed: the endpoint could not be reached or is not answering. Check the endpoint URL or account id, and that this server can reach it. (connect ECONNREFUSED 127.0.0.1:9)',
    );
    expect(calls).toEqual([]);
  });

  it('reports a read refused after a successful upload as permissions too narrow, and still deletes the probe object', async () => {
    const { target, objects, calls } = memoryTarget({
      read: new StorageError(ErrorCode.AccessDenied, 'GetObject: 403 AccessDenied'),
    });
    const report = await runProbe(target);
    expect(report.ok).toBe(false);
    expect(report.failedStep).toBe('read');
    expect(report.code).toBe(ErrorCode.AccessDenied);
    expect(report.message).toMatch(
      /^Upload succeeded but the object could not be read back: bucket permissions are too narrow\./,
    );
    expect(report.message).toContain('(GetObject: 403 AccessDenied)');
    expect(calls.map((call) => call.split(' ')[0])).toEqual(['write', 'read', 'delete']);
    expect(objects.size).toBe(0);
  });

  it('reports different bytes read back as CHECKSUM_MISMATCH at the compare step, and cleans up', async () => {
    const { target, objects } = memoryTarget({}, true);
    const report = await runProbe(target);
    expect(report.failedStep).toBe('compare');
    expect(report.code).toBe(ErrorCode.ChecksumMismatch);
    expect(report.message).toMatch(
      /^Comparing the probe object failed: the stored object does not match what was uploaded\./,
    );
    expect(objects.size).toBe(0);
  });

  it('classifies an error that is not a StorageError as UNKNOWN and never throws', async () => {
    const { target } = memoryTarget({ write: new TypeError('socket hang up') });
    const report = await runProbe(target);
    expect(report).toMatchObject({ ok: false, failedStep: 'write', code: ErrorCode.Unknown });
    expect(report.message).toBe(
      'Uploading the probe object failed: the provider returned an unexpected error. (socket hang up)',
    );
  });

  it('reports a delete refused after upload and read-back as missing delete permission', async () => {
    const { target } = memoryTarget({ delete: new StorageError(ErrorCode.AccessDenied, 'DeleteObject: 403') });
    const report = await runProbe(target);
    expect(report.failedStep).toBe('delete');
    expect(report.message).toMatch(
      /^Deleting the probe object failed: upload and read-back succeeded but the probe object could not be deleted/,
    );
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['write', true],
      ['read', true],
      ['compare', true],
      ['delete', false],
    ]);
  });
});

describe('probe failure wording', () => {
  const cases: Array<[string, ProbeStep, string]> = [
    [
      ErrorCode.InvalidCredentials,
      'write',
      'Uploading the probe object failed: the provider rejected the credentials.',
    ],
    [ErrorCode.BucketNotFound, 'connect', 'Connecting failed: the bucket does not exist at this endpoint.'],
    [
      ErrorCode.AccessDenied,
      'write',
      'Uploading the probe object failed: the credentials are valid but not allowed to upload',
    ],
    [ErrorCode.Timeout, 'connect', 'Connecting failed: the endpoint did not answer in time.'],
    [ErrorCode.Tls, 'connect', 'Connecting failed: the secure (TLS) connection failed'],
    [
      ErrorCode.ClockSkew,
      'write',
      "Uploading the probe object failed: the provider rejected the request time: this server's clock is off.",
    ],
    [ErrorCode.Misconfigured, 'configure', 'Checking the settings failed: the settings are incomplete or invalid.'],
  ];

  it.each(cases)('%s at %s reads as advice an admin can act on', (code, step, start) => {
    const { code: reported, message } = describeProbeFailure(
      step,
      new StorageError(code as ErrorCode, 'provider detail'),
    );
    expect(reported).toBe(code);
    expect(message.startsWith(start)).toBe(true);
    expect(message.endsWith('(provider detail)')).toBe(true);
  });

  it('builds a configure-step report for settings that fail validation', () => {
    const report = configureFailureReport('s3', new StorageError(ErrorCode.Misconfigured, 'bucket: required'));
    expect(report).toEqual({
      ok: false,
      driver: 's3',
      steps: [{ step: 'configure', ok: false, durationMs: 0 }],
      failedStep: 'configure',
      code: ErrorCode.Misconfigured,
      message: 'Checking the settings failed: the settings are incomplete or invalid. (bucket: required)',
    });
  });
});
