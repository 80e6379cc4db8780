/**
 * A local toxiproxy server (Shopify's TCP fault-injection proxy) as a child
 * process on a free loopback port. Tests create their own proxies through
 * `ToxiproxyClient`, so one server serves a whole test run.
 */
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { findBinary } from './find-binary.js';
import { findFreePort, LOOPBACK } from './free-port.js';
import { spawnManaged } from './managed-process.js';
import { TOXIPROXY_GO_MODULE } from './pinned-tools.js';
import { waitForHttpOk } from './wait-for-http.js';

export interface ToxiproxyOptions {
  /** Path to `toxiproxy-server`; else STOWAGE_TOXIPROXY_BIN; else `toxiproxy-server` on PATH. */
  binary?: string;
  /** How long to wait for the API to answer. Default 15 s. */
  startTimeoutMs?: number;
}

/** A running toxiproxy server. `stop()` kills it (every proxy it holds goes with it). */
export interface StartedToxiproxy {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:34567`. */
  readonly apiUrl: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const PORT_IN_USE = /address already in use/i;
const START_ATTEMPTS = 3;

/** Starts toxiproxy-server on 127.0.0.1 and waits until its API answers. */
export async function startToxiproxy(options: ToxiproxyOptions = {}): Promise<StartedToxiproxy> {
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new StorageError(
      ErrorCode.InvalidInput,
      'startToxiproxy: startTimeoutMs must be a positive number of milliseconds',
    );
  const binary = findBinary({
    label: 'toxiproxy server',
    explicit: options.binary,
    envVar: 'STOWAGE_TOXIPROXY_BIN',
    names: ['toxiproxy-server'],
    goModule: TOXIPROXY_GO_MODULE,
  });
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    // Debug level logs every API call; info keeps the output tail about real events.
    const child = spawnManaged(binary, ['-host', LOOPBACK, '-port', String(port)], {
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    const apiUrl = `http://${LOOPBACK}:${port}`;
    const ready = await waitForHttpOk(`${apiUrl}/version`, { timeoutMs, giveUp: child.exited });
    if (ready.ok) return { apiUrl, pid: child.pid, stop: () => child.stop() };
    await child.stop(1_000);
    const output = child.outputTail();
    if (ready.reason === 'gave-up' && PORT_IN_USE.test(output) && attempt < START_ATTEMPTS) continue;
    throw new StorageError(
      ready.reason === 'timeout' ? ErrorCode.Timeout : ErrorCode.Unavailable,
      `toxiproxy did not start at ${apiUrl} (${ready.reason === 'timeout' ? `no answer within ${timeoutMs} ms` : 'process exited'}). Binary: ${binary}. Last output:\n${output || '(none)'}`,
    );
  }
}
