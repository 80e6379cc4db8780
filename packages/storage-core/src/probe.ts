/**
 * "Test connection": the same four steps for every driver (write a tiny object,
 * read it back, compare, delete it), reported in words an admin can act on.
 * Drivers classify provider errors into StorageError codes; this module turns a
 * code plus the failed step into advice. It never puts a secret in the report:
 * it only repeats error messages, which drivers build without secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { streamToBuffer } from './body.js';
import { asStorageError, ErrorCode, StorageError } from './errors.js';
import type { ProbeReport, ProbeStep, ProbeStepResult, ProbeWarning, StorageDriver } from './types.js';

/** Where probe objects go, under the driver's key prefix. */
export const PROBE_KEY_PREFIX = '.stowage-probe/';

type ProbeTarget = Pick<StorageDriver, 'kind' | 'write' | 'read' | 'delete'>;

const STEP_PHRASE: Record<ProbeStep, string> = {
  configure: 'Checking the settings',
  connect: 'Connecting',
  write: 'Uploading the probe object',
  read: 'Reading the probe object back',
  compare: 'Comparing the probe object',
  'public-url': 'Fetching the probe object through the public URL',
  delete: 'Deleting the probe object',
};

/** Advice for a failure, by code. The read step has its own wording for access denied. */
function advice(error: StorageError, step: ProbeStep): string {
  const code = error.code;
  if (step === 'public-url') {
    return 'the bucket is writable, but its public URL does not serve what was uploaded, so uploads would "succeed" while images show broken. Check the Public / CDN URL (the r2.dev URL or custom domain bound to this bucket, serving the key prefix too) and that public access is enabled on the bucket.';
  }
  switch (code) {
    case ErrorCode.InvalidCredentials:
      return 'the provider rejected the credentials. Re-check the Access Key ID and Secret Access Key (copy both again from the API token page; they are not your account login).';
    case ErrorCode.BucketNotFound:
      return 'the bucket does not exist at this endpoint. Check the bucket name, and the account id, endpoint or jurisdiction it lives under.';
    case ErrorCode.AccessDenied:
      if (step === 'read')
        return 'Upload succeeded but the object could not be read back: bucket permissions are too narrow. Grant the token read access to the bucket (Object Read & Write) and retry.';
      if (step === 'delete')
        return 'upload and read-back succeeded but the probe object could not be deleted: the token lacks delete permission. Grant Object Read & Write so deleted results can be removed.';
      return 'the credentials are valid but not allowed to upload to this bucket. Give the token Object Read & Write permission on the bucket.';
    case ErrorCode.Unavailable:
      return 'the endpoint could not be reached or is not answering. Check the endpoint URL or account id, and that this server can reach it.';
    case ErrorCode.Timeout:
      return 'the endpoint did not answer in time. Check the endpoint URL and the network between this server and the provider.';
    case ErrorCode.Tls:
      if (error.details?.plainHttp === true)
        return 'the secure (TLS) connection failed: the endpoint speaks plain HTTP on this port, not HTTPS. Use an http:// endpoint URL, or the port that serves HTTPS.';
      return 'the secure (TLS) connection failed: the certificate is not trusted or does not match the endpoint host. Check the endpoint URL.';
    case ErrorCode.NotS3Api:
      return 'this endpoint is not an S3 API: it answers HTTP, but not with S3 responses. Check the endpoint URL: it must be the S3 API endpoint (for R2 https://<account id>.r2.cloudflarestorage.com), not a website, dashboard or public/CDN URL.';
    case ErrorCode.ClockSkew:
      return "the provider rejected the request time: this server's clock is off. Synchronise the clock (NTP) and retry.";
    case ErrorCode.Misconfigured:
      return 'the settings are incomplete or invalid.';
    case ErrorCode.ChecksumMismatch:
      return 'the stored object does not match what was uploaded. A proxy or the provider altered the data.';
    default:
      return 'the provider returned an unexpected error.';
  }
}

/** Builds the failure message an admin sees: the step, the advice, then the provider's detail. */
export function describeProbeFailure(step: ProbeStep, error: unknown): { code: string; message: string } {
  const classified = asStorageError(error);
  const text = advice(classified, step);
  const sentence = text.startsWith('Upload succeeded') ? text : `${STEP_PHRASE[step]} failed: ${text}`;
  return { code: classified.code, message: `${sentence} (${classified.message})` };
}

/** Report for settings that fail validation before any network call. */
export function configureFailureReport(driver: string, error: unknown): ProbeReport {
  const { code, message } = describeProbeFailure('configure', error);
  return {
    ok: false,
    driver,
    steps: [{ step: 'configure', ok: false, durationMs: 0 }],
    failedStep: 'configure',
    code,
    message,
  };
}

export interface RunProbeOptions {
  /**
   * An optional first step that reaches the backend without writing (e.g. a
   * one-key listing), so "unreachable" and "no such bucket" are told apart from
   * write failures. It must not need bucket-level permissions.
   */
  connect?: () => Promise<void>;
  /**
   * The public/CDN URL of a key, when one is configured: the probe object is
   * then fetched through it (after the compare step) and must be the same bytes.
   */
  publicUrl?: (key: string) => string;
  /** Checks that never fail the probe, run after every step passed (e.g. lifecycle rules). */
  warnings?: () => Promise<readonly ProbeWarning[]>;
}

/** How long the public-url step waits for the public URL to answer. */
const PUBLIC_FETCH_TIMEOUT_MS = 15_000;

/** GETs `url` without credentials and compares the answer with `payload`; throws a StorageError naming what differs. */
async function fetchPublicCopy(url: string, payload: Buffer, key: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(PUBLIC_FETCH_TIMEOUT_MS) });
  } catch (cause) {
    const timedOut = (cause as Error)?.name === 'TimeoutError';
    throw new StorageError(
      timedOut ? ErrorCode.Timeout : ErrorCode.Unavailable,
      `GET ${url} ${timedOut ? `did not answer within ${PUBLIC_FETCH_TIMEOUT_MS / 1000} s` : `failed: ${(cause as Error)?.cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error)?.message}`}`,
      { cause, key },
    );
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    const code =
      response.status === 404
        ? ErrorCode.NotFound
        : response.status === 401 || response.status === 403
          ? ErrorCode.AccessDenied
          : ErrorCode.Unavailable;
    throw new StorageError(code, `GET ${url} answered HTTP ${response.status}`, { key, status: response.status });
  }
  if (!body.equals(payload)) {
    throw new StorageError(
      ErrorCode.ChecksumMismatch,
      `GET ${url} answered ${body.length} bytes that differ from the ${payload.length} bytes uploaded`,
      { key, status: response.status },
    );
  }
}

/**
 * Runs [connect →] write → read → compare [→ public-url] → delete against `driver`, then the warning checks, and reports
 * the first failing step. Never throws. After a failed read or compare it still
 * tries to delete the probe object so nothing is left behind.
 */
export async function runProbe(driver: ProbeTarget, options: RunProbeOptions = {}): Promise<ProbeReport> {
  const key = `${PROBE_KEY_PREFIX}${randomUUID()}.txt`;
  const payload = Buffer.from(`stowage probe ${new Date().toISOString()} ${randomBytes(8).toString('hex')}\n`);
  const steps: ProbeStepResult[] = [];
  let written = false;

  const attempt = async (step: ProbeStep, run: () => Promise<void>): Promise<ProbeReport | undefined> => {
    const started = performance.now();
    try {
      await run();
      steps.push({ step, ok: true, durationMs: Math.round(performance.now() - started) });
      return undefined;
    } catch (error) {
      steps.push({ step, ok: false, durationMs: Math.round(performance.now() - started) });
      if (written && step !== 'delete') await driver.delete(key).catch(() => undefined);
      const { code, message } = describeProbeFailure(step, error);
      return { ok: false, driver: driver.kind, steps, failedStep: step, code, message };
    }
  };

  let readBack: Buffer = Buffer.alloc(0);
  const connect = options.connect;
  const failure =
    (connect ? await attempt('connect', connect) : undefined) ??
    (await attempt('write', async () => {
      await driver.write(key, payload, { contentType: 'text/plain' });
      written = true;
    })) ??
    (await attempt('read', async () => {
      readBack = await streamToBuffer(await driver.read(key));
    })) ??
    (await attempt('compare', async () => {
      if (!readBack.equals(payload)) {
        throw new StorageError(
          ErrorCode.ChecksumMismatch,
          `read back ${readBack.length} bytes that differ from the ${payload.length} bytes written`,
          { key },
        );
      }
    })) ??
    (options.publicUrl
      ? await attempt('public-url', () =>
          fetchPublicCopy((options.publicUrl as (k: string) => string)(key), payload, key),
        )
      : undefined) ??
    (await attempt('delete', () => driver.delete(key)));

  if (failure) return failure;
  const warnings = options.warnings ? await options.warnings().catch(() => []) : [];
  return {
    ok: true,
    driver: driver.kind,
    steps,
    message: options.publicUrl
      ? 'Connection OK: the probe object was uploaded, read back, served by the public URL and deleted.'
      : 'Connection OK: the probe object was uploaded, read back and deleted.',
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
