/**
 * A toxiproxy server of the calling test file's own, stopped after its last
 * test. Files that inject faults each get one, so a proxy one file leaves
 * stuck (a held connection, a slow toxic) can never stall another file's API
 * calls: toxiproxy serializes its API, and on a loaded machine a long stall
 * there failed unrelated tests.
 */
import { afterAll } from 'vitest';
import { startToxiproxy, ToxiproxyClient } from '../packages/testing/src/index.js';

/** Starts the file's toxiproxy and returns a client for it; call at the top level of a test file. */
export async function fileToxiproxy(): Promise<ToxiproxyClient> {
  const server = await startToxiproxy();
  afterAll(async () => {
    await server.stop();
  });
  return new ToxiproxyClient(server.apiUrl);
}
