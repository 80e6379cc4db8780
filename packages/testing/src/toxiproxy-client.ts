/**
 * A small client for toxiproxy's HTTP API (it has a dozen endpoints; a
 * dependency would not pay for itself). Each test creates its own proxy under a
 * unique name and deletes it afterwards, so tests sharing one server never see
 * each other's faults.
 *
 * FAULT_SAFE_USE: toxiproxy 2.12 has three races that bite busy proxies, found
 * by tests/offload-fault-storm.test.ts. Changing or removing a toxic interrupts
 * its stage on every connection and waits for it; a stage blocked handing data
 * to a later toxic that already closed its connection (reset_peer, limit_data,
 * timeout) never answers, and the whole API hangs. And removing a toxic from a
 * connection that is closing (or a timeout toxic, whose cleanup closes it)
 * leaves that connection's chain one stage long; a toxic added on the same side
 * before it is gone indexes past the chain and the server panics. With at most
 * one toxic per side at a time, added and removed (never updated) while
 * traffic flows, neither can happen (by the code of link.go and toxics/).
 * The third needs connections that were just dropped (a disabled proxy, or a
 * peer gone): an interrupted stage flushes what it holds into a writer whose
 * socket is closed, the writer dies but cannot unlink its connection while the
 * change holds the lock, and the change then waits 5 s for every chunk still
 * queued (a latency stage queues up to 1,024) before the API answers again. So
 * toxics are changed only once dropped connections have drained (the storm
 * waits SETTLE_AFTER_OUTAGE_MS after disabling the proxy).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, StorageError } from '@stowage/storage-core';
import { LOOPBACK } from './free-port.js';
import type { S3TestServerInfo } from './server-info.js';

/** Which direction a toxic acts on: `downstream` is server → client. */
export type ToxicStream = 'upstream' | 'downstream';

/** The toxics toxiproxy ships, with their attributes (times in milliseconds, rate in KB/s). */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'slow_close'; attributes: { delay: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'slicer'; attributes: { average_size: number; size_variation?: number; delay?: number } }
  | { type: 'limit_data'; attributes: { bytes: number } };

/** A toxic to add: its kind plus where and how often it applies. */
export type ToxicOptions = ToxicSpec & {
  /** Unique within the proxy; default `<type>_<stream>`. */
  name?: string;
  /** Default `downstream`. */
  stream?: ToxicStream;
  /** Probability 0..1 that a connection gets the toxic. Default 1. */
  toxicity?: number;
};

/** A toxic as the server reports it. */
export interface Toxic {
  readonly name: string;
  readonly type: string;
  readonly stream: ToxicStream;
  readonly toxicity: number;
  readonly attributes: Record<string, number>;
}

/** A proxy as the server reports it. */
export interface ProxyState {
  readonly name: string;
  /** `host:port` the proxy accepts connections on. */
  readonly listen: string;
  /** `host:port` it forwards to. */
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: readonly Toxic[];
}

export interface CreateProxyOptions {
  /** `host:port` to forward to, or a URL whose host and port are used (e.g. an S3 endpoint). */
  upstream: string;
  /** Unique proxy name; default a random `stowage-…` name. */
  name?: string;
  /** `host:port` to listen on; default a free loopback port chosen by toxiproxy. */
  listen?: string;
}

/** Error from the toxiproxy API, with its status. */
function apiError(what: string, status: number, body: string): StorageError {
  return new StorageError(ErrorCode.Unknown, `toxiproxy: ${what} failed with HTTP ${status}: ${body.trim()}`, {
    status,
  });
}

/** Turns a URL or `host:port` into `host:port`, defaulting the port from the scheme. */
export function toHostPort(upstream: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(upstream)) {
    const url = new URL(upstream);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return `${url.hostname}:${port}`;
  }
  if (!/^[^\s:/]+:\d{1,5}$/.test(upstream) && !/^\[[0-9a-f:]+\]:\d{1,5}$/i.test(upstream))
    throw new StorageError(ErrorCode.InvalidInput, `toxiproxy: upstream "${upstream}" must be host:port or a URL`);
  return upstream;
}

function validateToxic(toxic: ToxicOptions): void {
  if (toxic.toxicity !== undefined && !(toxic.toxicity >= 0 && toxic.toxicity <= 1))
    throw new StorageError(ErrorCode.InvalidInput, `toxiproxy: toxicity ${toxic.toxicity} must be between 0 and 1`);
  for (const [name, value] of Object.entries(toxic.attributes ?? {})) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new StorageError(
        ErrorCode.InvalidInput,
        `toxiproxy: ${toxic.type} attribute "${name}" must be a non-negative number, got ${String(value)}`,
      );
  }
  if (toxic.type === 'slicer') validateSlicer(toxic.attributes);
}

/**
 * toxiproxy 2.12 splits each packet around its middle ± size_variation: a
 * variation not below the average size produces negative slice bounds and the
 * whole server panics (slicer.go), taking every other test's proxy with it; an
 * average of 0 never stops splitting. Refused here, before anything is sent.
 * https://github.com/Shopify/toxiproxy/blob/main/toxics/slicer.go
 */
function validateSlicer(attributes: { average_size: number; size_variation?: number }): void {
  const { average_size: average, size_variation: variation = 0 } = attributes;
  if (average < 1)
    throw new StorageError(ErrorCode.InvalidInput, `toxiproxy: slicer average_size must be at least 1, got ${average}`);
  if (variation >= average)
    throw new StorageError(
      ErrorCode.InvalidInput,
      `toxiproxy: slicer size_variation (${variation}) must be below average_size (${average}); toxiproxy 2.12 crashes otherwise`,
    );
}

/** Talks to one toxiproxy server. */
export class ToxiproxyClient {
  readonly apiUrl: string;

  constructor(apiUrl: string) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
  }

  /** Sends one API request; throws with the server's message on a non-2xx answer. */
  async request<T>(method: string, path: string, what: string, body?: unknown): Promise<T | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        // Generous: on a loaded two-core machine the API can stall for seconds while proxies close their links.
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new StorageError(ErrorCode.Unavailable, `toxiproxy: ${what} failed: API at ${this.apiUrl} unreachable`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) throw apiError(what, response.status, text);
    return text === '' ? undefined : (JSON.parse(text) as T);
  }

  /** Creates a proxy to `upstream` and returns a handle to it. */
  async createProxy(options: CreateProxyOptions): Promise<ToxiproxyProxy> {
    const upstream = toHostPort(options.upstream);
    const listen = options.listen === undefined ? `${LOOPBACK}:0` : toHostPort(options.listen);
    const name = options.name ?? `stowage-${randomBytes(6).toString('hex')}`;
    if (!/^[\w.-]+$/.test(name))
      throw new StorageError(
        ErrorCode.InvalidInput,
        `toxiproxy: proxy name "${name}" may use letters, digits, _ . - only`,
      );
    const state = await this.request<ProxyState>('POST', '/proxies', `creating proxy "${name}"`, {
      name,
      listen,
      upstream,
      enabled: true,
    });
    return new ToxiproxyProxy(this, state as ProxyState);
  }

  /** Every proxy on the server, by name. */
  async listProxies(): Promise<Record<string, ProxyState>> {
    return (await this.request<Record<string, ProxyState>>('GET', '/proxies', 'listing proxies')) ?? {};
  }

  /**
   * Re-enables every proxy and removes every toxic on the server. Affects other
   * tests sharing the server: prefer removing your own proxy's toxics.
   */
  async resetAll(): Promise<void> {
    await this.request('POST', '/reset', 'resetting');
  }
}

/** One proxy: its address, and the faults to switch on and off. */
export class ToxiproxyProxy {
  readonly name: string;
  /** `host:port` clients connect to. */
  readonly listen: string;
  readonly upstream: string;
  readonly #client: ToxiproxyClient;

  constructor(client: ToxiproxyClient, state: ProxyState) {
    this.#client = client;
    this.name = state.name;
    this.listen = state.listen;
    this.upstream = state.upstream;
  }

  /** `http://<listen>`: the URL to use instead of the upstream's. */
  get url(): string {
    return `http://${this.listen}`;
  }

  #path(suffix = ''): string {
    return `/proxies/${encodeURIComponent(this.name)}${suffix}`;
  }

  /** Current state, including its toxics. */
  async state(): Promise<ProxyState> {
    return (await this.#client.request<ProxyState>('GET', this.#path(), `reading proxy "${this.name}"`)) as ProxyState;
  }

  /** Adds a toxic and returns it as the server stored it (with its final name). */
  async addToxic(toxic: ToxicOptions): Promise<Toxic> {
    validateToxic(toxic);
    const stream = toxic.stream ?? 'downstream';
    const body = {
      name: toxic.name ?? `${toxic.type}_${stream}`,
      type: toxic.type,
      stream,
      toxicity: toxic.toxicity ?? 1,
      attributes: toxic.attributes,
    };
    return (await this.#client.request<Toxic>(
      'POST',
      this.#path('/toxics'),
      `adding ${toxic.type} toxic to "${this.name}"`,
      body,
    )) as Toxic;
  }

  /**
   * Changes a toxic in place: its toxicity, its attributes, or both (type and
   * stream stay); every open connection draws again whether it applies. Checked
   * like `addToxic`. On a busy proxy, mind toxiproxy 2.12's races (see
   * FAULT_SAFE_USE in this file's module comment).
   */
  async updateToxic(
    name: string,
    change: { readonly toxicity?: number; readonly attributes?: Record<string, number> },
  ): Promise<Toxic> {
    const current = (await this.#client.request<Toxic>(
      'GET',
      this.#path(`/toxics/${encodeURIComponent(name)}`),
      `reading toxic "${name}" of "${this.name}"`,
    )) as Toxic;
    const next = {
      ...current,
      toxicity: change.toxicity ?? current.toxicity,
      attributes: { ...current.attributes, ...change.attributes },
    } as Toxic & ToxicOptions;
    validateToxic(next);
    return (await this.#client.request<Toxic>(
      'PATCH',
      this.#path(`/toxics/${encodeURIComponent(name)}`),
      `updating toxic "${name}" of "${this.name}"`,
      { toxicity: next.toxicity, attributes: next.attributes },
    )) as Toxic;
  }

  /** Removes one toxic by name. */
  async removeToxic(name: string): Promise<void> {
    await this.#client.request(
      'DELETE',
      this.#path(`/toxics/${encodeURIComponent(name)}`),
      `removing toxic "${name}" from "${this.name}"`,
    );
  }

  /** Removes every toxic of this proxy. */
  async removeAllToxics(): Promise<void> {
    const { toxics } = await this.state();
    for (const toxic of toxics) await this.removeToxic(toxic.name);
  }

  /** Stops listening and drops open connections: the server looks down. */
  async disable(): Promise<void> {
    await this.#client.request('PATCH', this.#path(), `disabling "${this.name}"`, { enabled: false });
  }

  /** Listens again on the same address. */
  async enable(): Promise<void> {
    await this.#client.request('PATCH', this.#path(), `enabling "${this.name}"`, { enabled: true });
  }

  /** Deletes the proxy; deleting one that is already gone succeeds. */
  async delete(): Promise<void> {
    try {
      await this.#client.request('DELETE', this.#path(), `deleting "${this.name}"`);
    } catch (error) {
      if (!(error instanceof StorageError && error.status === 404)) throw error;
    }
  }
}

/**
 * Creates a proxy in front of an S3 test server and returns it with a copy of
 * the server info whose endpoint goes through the proxy.
 */
export async function createS3Proxy(
  client: ToxiproxyClient,
  info: S3TestServerInfo,
  name?: string,
): Promise<{ proxy: ToxiproxyProxy; info: S3TestServerInfo }> {
  const proxy = await client.createProxy({ upstream: info.endpoint, name });
  return { proxy, info: { ...info, endpoint: proxy.url } };
}
