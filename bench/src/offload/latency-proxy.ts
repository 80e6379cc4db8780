/**
 * `--latency-ms`: a toxiproxy in front of MinIO that holds every answer back
 * by the given time (a latency toxic on the downstream), so the runs meet a
 * backend that far away while MinIO stays on loopback. toxiproxy copies every
 * byte on the same two cores, so it costs CPU too; every contender goes
 * through it alike, and the bench checks what was stored straight at MinIO.
 */
import { createS3Proxy, type S3TestServerInfo, startToxiproxy, ToxiproxyClient } from '@stowage/testing';

/** The proxy the runs send to, and how to stop it. */
export interface LatencyProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts toxiproxy (STOWAGE_TOXIPROXY_BIN) with one proxy to `upstream` that delays every answer by `latencyMs`. */
export async function startLatencyProxy(upstream: S3TestServerInfo, latencyMs: number): Promise<LatencyProxy> {
  const server = await startToxiproxy();
  try {
    const client = new ToxiproxyClient(server.apiUrl);
    const { proxy, info } = await createS3Proxy(client, upstream, 'bench-latency');
    await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: latencyMs, jitter: 0 } });
    return { endpoint: info.endpoint, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
