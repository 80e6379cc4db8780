import { ConfigError, ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryDriver, createMemoryDriverDefinition, MemoryDriver } from '../src/index.js';

describe('memory driver settings and write options', () => {
  it('refuses bad options naming every bad field, without echoing values', () => {
    try {
      new MemoryDriver({ publicBaseUrl: 'ftp://secret-host' });
      expect.fail('accepted an ftp public base');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^publicBaseUrl: /)]);
      expect((error as Error).message).not.toContain('secret-host');
    }
  });

  it('refuses write options a real backend would refuse, listing each, and stores nothing', async () => {
    const driver = createMemoryDriver();
    const error = await expectStorageError(
      driver.write('a.txt', 'x', {
        contentType: 'not a type',
        cacheControl: 'a\nb',
        metadata: { Upper: 'x', ok: 'café' },
        contentLength: -1,
      }),
      ErrorCode.InvalidInput,
    );
    expect(error.message).toMatch(/content type/);
    expect(error.message).toMatch(/cacheControl/);
    expect(error.message).toMatch(/"Upper"/);
    expect(error.message).toMatch(/printable ASCII/);
    expect(error.message).toMatch(/contentLength/);
    expect(driver.bucket.size).toBe(0);
  });

  it('keeps objects in a bucket shared by drivers of the same definition and bucket name', async () => {
    const definition = createMemoryDriverDefinition();
    const first = definition.create({ bucket: 'media' });
    await first.write('kept.txt', 'still here');
    await first.close();
    const rebuilt = definition.create({ bucket: 'media' });
    expect(await rebuilt.exists('kept.txt')).toBe(true);
    expect(await definition.create({ bucket: 'other' }).exists('kept.txt')).toBe(false);
    expect(await createMemoryDriverDefinition().create({ bucket: 'media' }).exists('kept.txt')).toBe(false);
    expect(definition.bucket('media').keys()).toEqual(['kept.txt']);
  });
});
