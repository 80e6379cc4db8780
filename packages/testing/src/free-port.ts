/**
 * Free loopback ports for servers that must be told their port up front
 * (MinIO, toxiproxy). The OS picks one for port 0; we release it and hand the
 * number over. Another process could grab it in between, so callers that start
 * servers retry on "address in use".
 */
import { createServer } from 'node:net';

/** Loopback address every test server binds to: never exposed beyond this machine. */
export const LOOPBACK = '127.0.0.1';

/** Asks the OS for a currently free TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close((closeError) => {
        if (closeError) reject(closeError);
        else if (port === undefined) reject(new Error('the OS did not report a port for 127.0.0.1:0'));
        else resolve(port);
      });
    });
  });
}
