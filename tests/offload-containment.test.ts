/**
 * Offload sends only bytes from inside the results disk. A result path that
 * leads outside the root through a symbolic link (file or folder), or that is
 * not a regular file (directory, FIFO, socket, device), is refused with an
 * error naming the path and the reason before any backend is asked anything;
 * a swap of the file for a symbolic link while offloads run never uploads the
 * outside bytes.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, localDefinition, sha256, type Workspace } from './support/fixture.js';

describe('offload reads only regular files inside the results disk', () => {
  let ws: Workspace;
  let storage: Storage;
  let archiveRoot: string;
  let outside: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    archiveRoot = await ws.folder('archive');
    outside = await ws.folder('outside');
    await writeFile(join(outside, 'secret.txt'), 'db-password=hunter2\n');
    storage = await ws.open();
    storage.registry.register(localDefinition, { name: 'archive' });
    await storage.registry.saveSettings('archive', { root: archiveRoot });
    await storage.registry.enable('archive');
    await storage.registry.setDefault('archive');
  });
  afterEach(async () => {
    await ws.remove();
  });

  async function archived(): Promise<string[]> {
    return (await readdir(archiveRoot, { recursive: true })).filter((name) => !name.startsWith('.stowage-meta'));
  }

  it('refuses a file symlink that leads outside the root, naming the path and the reason, and sends nothing', async () => {
    await mkdir(join(ws.resultsRoot, 'images'), { recursive: true });
    await symlink(join(outside, 'secret.txt'), join(ws.resultsRoot, 'images/cat.png'));
    const attempt = storage.offload({ path: 'images/cat.png' });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    await expect(attempt).rejects.toThrow(/"images\/cat.png" leads outside the results disk through a symbolic link/);
    expect(await archived()).toEqual([]);
    expect(await storage.catalog?.findByPath('images/cat.png')).toBeUndefined();
  });

  it('refuses a folder symlink that leads outside the root', async () => {
    await writeFile(join(outside, 'cat.png'), randomBytes(100));
    await symlink(outside, join(ws.resultsRoot, 'images'));
    await expect(storage.offload({ path: 'images/cat.png' })).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    expect(await archived()).toEqual([]);
  });

  it('offloads through a symlink that stays inside the root: the bytes are the real file inside', async () => {
    const sha = await ws.addResult('real/cat.png', 5000);
    await mkdir(join(ws.resultsRoot, 'images'));
    await symlink(join(ws.resultsRoot, 'real/cat.png'), join(ws.resultsRoot, 'images/cat.png'));
    const outcome = await storage.offload({ path: 'images/cat.png' });
    expect(outcome).toMatchObject({ status: 'offloaded', sha256: sha });
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
  });

  it('refuses a directory, a FIFO, a socket and a device, each by name, without blocking on the FIFO', async () => {
    await mkdir(join(ws.resultsRoot, 'a-folder.png'));
    execFileSync('mkfifo', [join(ws.resultsRoot, 'pipe.png')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(ws.resultsRoot, 'socket.png'), resolve));
    // A device reached through a symlink: the kind is checked on the opened handle, before containment.
    await symlink('/dev/zero', join(ws.resultsRoot, 'device.png'));
    try {
      const refused = async (path: string) => {
        const error = await storage.offload({ path }).then(
          () => undefined,
          (caught: Error & { code: string }) => caught,
        );
        return { code: error?.code, message: error?.message };
      };
      expect(await refused('a-folder.png')).toEqual({
        code: ErrorCode.InvalidInput,
        message: 'offload input "a-folder.png" is a directory, not a regular file',
      });
      expect(await refused('pipe.png')).toEqual({
        code: ErrorCode.InvalidInput,
        message: 'offload input "pipe.png" is a FIFO (named pipe), not a regular file',
      });
      expect(await refused('socket.png')).toMatchObject({ code: ErrorCode.InvalidInput });
      expect(await refused('device.png')).toEqual({
        code: ErrorCode.InvalidInput,
        message: 'offload input "device.png" is a device, not a regular file',
      });
    } finally {
      server.close();
    }
    expect(await archived()).toEqual([]);
  });

  it("offloadMany refuses a batch holding any of those inputs, with the single offload's error, before any upload", async () => {
    await ws.addResult('images/ok.png', 100);
    await mkdir(join(ws.resultsRoot, 'a-folder.png'));
    await symlink(join(outside, 'secret.txt'), join(ws.resultsRoot, 'images/escape.png'));
    await symlink('/dev/zero', join(ws.resultsRoot, 'device.png'));
    const batchError = async (bad: { path: string; variants?: Record<string, string> }) => {
      const error = await storage.offloadMany([{ path: 'images/ok.png' }, bad]).then(
        () => undefined,
        (caught: Error & { code: string }) => caught,
      );
      return { code: error?.code, message: error?.message };
    };
    expect(await batchError({ path: 'a-folder.png' })).toEqual({
      code: ErrorCode.InvalidInput,
      message: 'offload input "a-folder.png" is a directory, not a regular file',
    });
    expect(await batchError({ path: 'device.png' })).toEqual({
      code: ErrorCode.InvalidInput,
      message: 'offload input "device.png" is a device, not a regular file',
    });
    expect(await batchError({ path: 'images/escape.png' })).toMatchObject({ code: ErrorCode.AccessDenied });
    await ws.addResult('images/has-variant.png', 100);
    expect(
      await batchError({
        path: 'images/has-variant.png',
        variants: { w320: 'images/missing-320.png' },
      }),
    ).toEqual({
      code: ErrorCode.NotFound,
      message: 'offload input "images/missing-320.png" is not a file on the results disk',
    });
    expect(await archived()).toEqual([]);
    expect(await storage.catalog?.findByPath('images/ok.png')).toBeUndefined();
  });

  it('never uploads outside bytes while the file is swapped for a symlink and back during offloads', async () => {
    const path = 'images/swapped.png';
    const real = randomBytes(20);
    const realSha = sha256(real);
    const secretSha = sha256(Buffer.from('db-password=hunter2\n'));
    await writeFile(join(outside, 'secret.txt'), Buffer.from('db-password=hunter2\n'));
    await mkdir(join(ws.resultsRoot, 'images'));
    await writeFile(join(ws.resultsRoot, path), real);
    let swapping = true;
    const swapper = (async () => {
      let turn = 0;
      while (swapping) {
        const staged = join(ws.resultsRoot, `images/.staged-${turn++}`);
        if (turn % 2 === 0) await writeFile(staged, real);
        else await symlink(join(outside, 'secret.txt'), staged);
        await rename(staged, join(ws.resultsRoot, path));
        // Random pauses: bursts of swaps that hit offloads mid-way, and quiet spells longer than an
        // offload takes even on a loaded machine, so some offloads run wholly between two swaps.
        const pause = Math.random() < 0.3 ? 150 + Math.random() * 100 : Math.random() * 20;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    })();
    let offloaded = 0;
    let refused = 0;
    let changed = 0;
    try {
      // Until both kinds were seen often enough, at most 600 attempts. A refusal, or a missing file, returns
      // at once, so both wait a little for the next swap: without that wait, a file deleted with its record
      // burned every attempt during one quiet spell of the swapper (refused 0 on a fresh CI machine).
      const nextSwap = () => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
      for (let i = 0; i < 600 && !(offloaded >= 10 && refused >= 10); i++) {
        try {
          const outcome = await storage.offload({ path });
          if (outcome.status !== 'offloaded') {
            expect(outcome.error?.code).toBe(ErrorCode.ChangedDuringOffload);
            changed++;
            continue;
          }
          offloaded++;
          const stored = sha256(await streamToBuffer(await storage.read(outcome.location)));
          expect(stored, 'an offload stored bytes from outside the results disk').not.toBe(secretSha);
          expect(stored).toBe(realSha);
          // The next round must upload again, not report the record as already done.
          await storage.delete(outcome.location);
        } catch (error) {
          const code = (error as { code?: string }).code;
          // Between a delete and the next swap there may be no file at all.
          if (code !== ErrorCode.NotFound) {
            expect(code).toBe(ErrorCode.AccessDenied);
            refused++;
          }
          await nextSwap();
        }
      }
    } finally {
      swapping = false;
      await swapper;
    }
    const counts = `offloaded ${offloaded}, refused ${refused}, changed ${changed}`;
    expect(offloaded, counts).toBeGreaterThan(0);
    expect(refused, counts).toBeGreaterThan(0);
    await rm(join(ws.resultsRoot, path), { force: true });
  });
});
