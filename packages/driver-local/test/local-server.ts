import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalFileHandler, LocalDriver } from '../src/index.js';

/** A signing secret for tests only. */
export const TEST_SECRET = 'test-signing-secret-0123456789abcdef';

/** A LocalDriver in a fresh temp root, served by a real node:http server running createLocalFileHandler. */
export interface ServedLocalDriver {
  readonly driver: LocalDriver;
  readonly root: string;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** Starts a server on an ephemeral port and a driver whose signed URLs point at it. */
export async function startServedLocalDriver(options: { publicUrls?: boolean } = {}): Promise<ServedLocalDriver> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-local-'));
  let handler: ((req: never, res: never) => Promise<void>) | undefined;
  const server: Server = createServer((request, response) => {
    void handler?.(request as never, response as never);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/files`;
  const driver = new LocalDriver({
    root,
    signingSecret: TEST_SECRET,
    signedUrlBaseUrl: baseUrl,
    publicBaseUrl: options.publicUrls ? 'https://cdn.example.com/results' : undefined,
  });
  handler = createLocalFileHandler(driver);
  return {
    driver,
    root,
    baseUrl,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
