/**
 * Key templates as an admin and an app meet them, without a server: saved
 * through the registry (every problem refused at once, never echoed, blank
 * keeps, "" goes back to the relative path), and used by offload on an
 * in-memory backend (the templated key is what the outcome, the catalog and
 * the backend hold; variants get keys of their own; a template that gives two
 * results one key never overwrites the first).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDriverDefinition, type MemoryDriverDefinition } from '../packages/driver-memory/src/index.js';
import { ConfigError, ErrorCode, type Storage, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, sha256, type Workspace } from './support/fixture.js';

describe('key templates through the registry and offload (in-memory backend)', () => {
  let ws: Workspace;
  let storage: Storage;
  let memory: MemoryDriverDefinition;

  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    memory = createMemoryDriverDefinition('mem');
    storage.registry.register(memory);
    await storage.registry.saveSettings('mem', { bucket: 'media' });
    await storage.registry.enable('mem');
    await storage.registry.setDefault('mem');
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('refuses a bad template with every problem listed, keeps the stored settings and echoes nothing', async () => {
    await storage.registry.saveSettings('mem', { bucket: 'media', keyTemplate: 'img/{year}/{fileName}.{extName}' });
    const pasted = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const error = await storage.registry
      .saveSettings('mem', { bucket: 'media', keyTemplate: `/${pasted}/../{${pasted}}` })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/must be relative/);
    expect(message).toMatch(/unknown token at character/);
    expect(message).toMatch(/segment 3 is "\.\."/);
    expect(message).not.toContain(pasted);
    expect(storage.registry.provider('mem').keyTemplate).toBe('img/{year}/{fileName}.{extName}');
  });

  it('keeps the template when a save leaves it out, and goes back to the relative path with ""', async () => {
    await storage.registry.saveSettings('mem', { bucket: 'media', keyTemplate: '{hash8}/{fileName}.{extName}' });
    await storage.registry.saveSettings('mem', { bucket: 'media', publicBaseUrl: 'https://cdn.example.com' });
    expect(storage.registry.provider('mem').keyTemplate).toBe('{hash8}/{fileName}.{extName}');
    // The template is part of the signed entry: a reopened storage trusts and uses it.
    const reopened = await ws.open();
    reopened.registry.register(memory);
    expect(reopened.registry.provider('mem').keyTemplate).toBe('{hash8}/{fileName}.{extName}');
    await storage.registry.saveSettings('mem', { bucket: 'media', keyTemplate: '' });
    expect(storage.registry.provider('mem').keyTemplate).toBeUndefined();
  });

  it('stores the result at the templated key, and the outcome, the catalog and the backend agree', async () => {
    await storage.registry.saveSettings('mem', {
      bucket: 'media',
      keyTemplate: 'img/{year}/{month}/{hash8}/{fileName}.{extName}',
    });
    const sha = await ws.addResult('images/gemini/cat.png', 3000);
    await ws.addResult('images/gemini/cat-320.webp', 500);
    const outcome = await storage.offload({
      path: 'images/gemini/cat.png',
      variants: { w320: 'images/gemini/cat-320.webp' },
    });
    const now = new Date();
    const month = String(now.getUTCMonth() + 1).padStart(2, '0');
    const key = `img/${now.getUTCFullYear()}/${month}/${sha.slice(0, 8)}/cat.png`;
    expect(outcome).toMatchObject({ status: 'offloaded', key, location: `mem:${key}` });
    expect(outcome.variants[0]?.key).toMatch(new RegExp(`^img/\\d{4}/${month}/[0-9a-f]{8}/cat-320\\.webp$`));
    expect(memory.bucket('media').get(key)).toBeDefined();
    const record = await storage.catalog?.resolve(outcome.location);
    expect(record?.files.map((file) => file.key)).toEqual([key, outcome.variants[0]?.key]);
    expect(sha256(await streamToBuffer(await storage.read(outcome.location)))).toBe(sha);
  });

  it('gives each file of a result its own fixed {uuid}, the same when the result is offloaded again', async () => {
    await storage.registry.saveSettings('mem', { bucket: 'media', keyTemplate: 'u/{uuid}.{extName}' });
    await ws.addResult('a/one.png', 100);
    await ws.addResult('a/one-thumb.png', 50);
    const input = { path: 'a/one.png', variants: { thumb: 'a/one-thumb.png' } };
    const first = await storage.offload(input);
    expect(first.key).toMatch(/^u\/[0-9a-f-]{36}\.png$/);
    expect(first.variants[0]?.key).toMatch(/^u\/[0-9a-f-]{36}\.png$/);
    expect(first.variants[0]?.key).not.toBe(first.key);
    // A new version of the same result keeps the record, so the same uuid key (replaced in place).
    await ws.addResult('a/one.png', 120);
    const second = await storage.offload(input);
    expect(second).toMatchObject({ status: 'offloaded', key: first.key, size: 120 });
    expect(memory.bucket('media').get(first.key)?.bytes.length).toBe(120);
  });

  it('never overwrites another result when the template gives two results one key', async () => {
    await storage.registry.saveSettings('mem', { bucket: 'media', keyTemplate: 'flat/{fileName}.{extName}' });
    const firstSha = await ws.addResult('one/cat.png', 100);
    await ws.addResult('two/cat.png', 200);
    const first = await storage.offload({ path: 'one/cat.png' });
    expect(first).toMatchObject({ status: 'offloaded', key: 'flat/cat.png' });
    const second = await storage.offload({ path: 'two/cat.png' });
    expect(second).toMatchObject({ status: 'local', location: 'local:two/cat.png', failedStage: 'upload' });
    expect(second.error?.code).toBe(ErrorCode.Misconfigured);
    expect(second.error?.message).toMatch(/already holds another object; nothing was overwritten/);
    expect(sha256(await streamToBuffer(await storage.read(first.location)))).toBe(firstSha);
    expect((await storage.catalog?.findByPath('two/cat.png'))?.state).toBe('blocked');
  });
});
