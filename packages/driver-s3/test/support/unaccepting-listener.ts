/**
 * A loopback port where a TCP connect hangs: a child process listens with an
 * accept backlog of 1 and is then stopped (SIGSTOP), so it never accepts; the
 * kernel queues the first connections, and once that queue is full it drops
 * further SYNs instead of answering. That is what an unreachable host looks
 * like to a client, produced without leaving 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

/** A port whose connects hang, and a way to release everything it holds. */
export interface UnacceptingListener {
  readonly host: '127.0.0.1';
  readonly port: number;
  close(): Promise<void>;
}

const LISTENER_SOURCE = `
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(server.address().port));
`;

/** Attempts that hang this long count as hanging: loopback handshakes complete in well under a millisecond. */
const HANG_MS = 300;
/** The queue of a backlog-1 listener holds 2 connections on Linux; more attempts mean something else is wrong. */
const MAX_FILLERS = 8;

/** Starts the listener and fills its accept queue, so the next connect to it hangs. */
export async function startUnacceptingListener(): Promise<UnacceptingListener> {
  const child = spawn(process.execPath, ['-e', LISTENER_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const held: Socket[] = [];
  const close = async () => {
    for (const socket of held) socket.destroy();
    await stopChild(child);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`unaccepting listener exited early (code ${code})`)));
      child.stdout?.once('data', (data) => resolve(Number(String(data).trim())));
    });
    process.kill(child.pid as number, 'SIGSTOP');
    for (let attempt = 0; attempt < MAX_FILLERS; attempt += 1) {
      const { socket, connected } = await tryConnect(port);
      held.push(socket);
      if (!connected) return { host: '127.0.0.1', port, close };
    }
    throw new Error(`the accept queue of 127.0.0.1:${port} never filled after ${MAX_FILLERS} connections`);
  } catch (error) {
    await close();
    throw error;
  }
}

function tryConnect(port: number): Promise<{ socket: Socket; connected: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => resolve({ socket, connected: false }), HANG_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, connected: true });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`filling the accept queue failed: ${error.message}`, { cause: error }));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
