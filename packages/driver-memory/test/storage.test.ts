/**
 * The README's recipe: an app's tests run createStorage() with the results
 * disk on a real temp folder (offload reads result files from there) and the
 * memory driver as the remote backend, no MinIO needed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import { ConfigError, createStorage, MemorySettingsStore, type Storage, streamToBuffer } from '@stowage/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDriverDefinition, type MemoryDriverDefinition } from '../src/index.js';

describe('createStorage() with the memory driver as the remote backend', () => {
  let dir: string;
  let results: string;
  let memory: MemoryDriverDefinition;
  let storage: Storage;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-memory-app-'));
    results = join(dir, 'results');
    await mkdir(join(results, 'images'), { recursive: true });
    memory = createMemoryDriverDefinition(); // buckets of its own: nothing leaks between tests
    storage = await createStorage({
      store: new MemorySettingsStore(),
      local: createLocalDriver({ root: results }),
      definitions: [memory],
    });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('offloads a result, verifies it by reading it back, serves it by location and by a fetchable URL', async () => {
    await storage.registry.saveSettings('memory', { bucket: 'media', deleteLocal: true });
    await storage.registry.enable('memory');
    await storage.registry.setDefault('memory');
    const bytes = randomBytes(100_000);
    await writeFile(join(results, 'images/cat.png'), bytes);

    const outcome = await storage.offload({ path: 'images/cat.png' });

    expect(outcome).toMatchObject({
      status: 'offloaded',
      backend: 'memory',
      location: 'memory:images/cat.png',
      urlKind: 'signed',
      checksum: 'none', // the memory driver proves nothing itself: offload read the object back
      localDeleted: true,
      error: undefined,
    });
    await expect(stat(join(results, 'images/cat.png'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(memory.bucket('media').keys()).toEqual(['images/cat.png']);
    expect((await storage.stat(outcome.location)).metadata.sha256).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    expect((await streamToBuffer(await storage.read(outcome.location))).equals(bytes)).toBe(true);
    const response = await fetch(outcome.url as string);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);

    await storage.delete(outcome.location);
    expect(memory.bucket('media').size).toBe(0);
  });

  it('keeps serving stored objects after the settings are edited and the driver rebuilt', async () => {
    await storage.registry.saveSettings('memory', { bucket: 'media' });
    await storage.registry.enable('memory');
    await storage.registry.setDefault('memory');
    await writeFile(join(results, 'images/dog.png'), 'woof');
    const { location } = await storage.offload({ path: 'images/dog.png' });
    await storage.registry.saveSettings('memory', { bucket: 'media', publicBaseUrl: 'https://cdn.example.com' });
    expect(await storage.publicUrl(location)).toBe('https://cdn.example.com/images/dog.png');
    expect((await streamToBuffer(await storage.read(location))).toString()).toBe('woof');
  });

  it('refuses bad memory settings naming every bad field, and stores nothing', async () => {
    const attempt = storage.registry.saveSettings('memory', { bucket: 'Not A Bucket!', publicBaseUrl: 'ftp://x' });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.stringMatching(/^bucket: /), expect.stringMatching(/^publicBaseUrl: /)]),
    });
    await expect(storage.registry.saveSettings('memory', { colour: 'blue' })).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.stringContaining('colour')]),
    });
    expect(storage.registry.provider('memory').configured).toBe(false);
  });
});
