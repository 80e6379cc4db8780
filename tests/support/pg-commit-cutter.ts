/**
 * A TCP proxy in front of a real Postgres that can lose one COMMIT's answer:
 * once armed, it lets the server's next "COMMIT" CommandComplete message go
 * nowhere and cuts that connection, after the server has committed. That is
 * the lost answer a network fault produces, placed on the one message that
 * matters (toxiproxy cuts by bytes or time, which cannot find it).
 *
 * It reads the server's side as Postgres protocol messages (a type byte, a
 * 4-byte length that counts itself, the body); the client's side passes
 * through untouched. It assumes no TLS, as the test server runs.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** The proxy's address, and the switch that loses the next COMMIT's answer. */
export interface CommitCutter {
  /** The connection string through the proxy (the server's, with host and port replaced). */
  readonly url: string;
  /** Loses the answer to the next COMMIT any connection through the proxy sends, after letting `skip` pass. */
  cutNextCommit(skip?: number): void;
  /** How many COMMIT answers were lost so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

const COMMAND_COMPLETE = 0x43; // 'C'
const COMMIT_TAG = Buffer.from('COMMIT\u0000');

/** Starts a proxy on a free loopback port in front of the server `url` names. */
export async function startCommitCutter(url: string): Promise<CommitCutter> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let armed = false;
  let skipping = 0;
  let cuts = 0;

  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(client);
    sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.pipe(upstream);

    let pending: Buffer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= 5) {
        const length = pending.readUInt32BE(offset + 1);
        const end = offset + 1 + length;
        if (end > pending.length) break;
        const isCommit = pending[offset] === COMMAND_COMPLETE && pending.subarray(offset + 5, end).equals(COMMIT_TAG);
        if (armed && isCommit && skipping > 0) skipping--;
        else if (armed && isCommit) {
          armed = false;
          cuts++;
          // What came before the COMMIT's answer is delivered; the answer and the connection are lost.
          if (offset > 0) client.write(pending.subarray(0, offset));
          cut();
          return;
        }
        offset = end;
      }
      if (offset > 0) client.write(pending.subarray(0, offset));
      pending = pending.subarray(offset);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the commit cutter has no TCP address');
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(address.port);

  return {
    url: proxied.toString(),
    cutNextCommit(skip = 0) {
      armed = true;
      skipping = skip;
    },
    get cuts() {
      return cuts;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
