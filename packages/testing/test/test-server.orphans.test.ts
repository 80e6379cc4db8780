/**
 * A test run that dies must not leave MinIO behind. These tests start MinIO from
 * a separate Node process (using the built dist/, so run `pnpm build` first),
 * kill that process, and check the server went with it.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { gone, parentWithServer, running } from './support/server-parent.js';

/** Starts a Node process that starts MinIO through the helper and reports its pid and data dir. */
function parentWithMinio() {
  return parentWithServer('helpers.startMinioProcess()');
}

describe('MinIO started by a process that dies', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('is stopped and its data dir removed when the parent gets SIGTERM', async () => {
    const { parent, pid, dataDir } = await parentWithMinio();
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    expect(running(pid)).toBe(true);
    const exited = new Promise((resolve) => parent.once('exit', (_code, signal) => resolve(signal)));
    parent.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(await gone(pid, 5_000)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('is killed by the kernel when the parent gets SIGKILL', async () => {
    const { parent, pid, dataDir } = await parentWithMinio();
    // SIGKILL runs no cleanup code in the parent, so the data dir is ours to remove,
    // and so is the server if this test fails.
    cleanup.push(() => {
      if (running(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    parent.kill('SIGKILL');
    expect(await gone(pid, 5_000)).toBe(true);
  });
});
