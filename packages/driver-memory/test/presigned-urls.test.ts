import { ErrorCode } from '@stowage/storage-core';
import { expectStorageError } from '@stowage/storage-core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryDriver } from '../src/index.js';

describe('memory driver presigned URLs', () => {
  it('are served on 127.0.0.1 with the stored headers; HEAD sends no body', async () => {
    const driver = createMemoryDriver();
    try {
      await driver.write('photos/cat.png', 'png bytes', { cacheControl: 'public, max-age=60' });
      const signed = await driver.presignGet('photos/cat.png');
      expect(new URL(signed.url).hostname).toBe('127.0.0.1');
      const head = await fetch(signed.url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('image/png');
      expect(head.headers.get('content-length')).toBe('9');
      expect(head.headers.get('cache-control')).toBe('public, max-age=60');
      expect(await head.text()).toBe('');
      const put = await driver.presignPut('photos/cat.png', { contentType: 'image/png', contentLength: 3 });
      expect((await fetch(put.url, { method: 'GET' })).status).toBe(403);
    } finally {
      await driver.close();
    }
  });

  it('stop answering once the driver is closed, and new ones are refused', async () => {
    const driver = createMemoryDriver();
    await driver.write('a.txt', 'a');
    const signed = await driver.presignGet('a.txt');
    expect((await fetch(signed.url)).status).toBe(200);
    await driver.close();
    await expect(fetch(signed.url)).rejects.toThrow();
    await expectStorageError(driver.presignGet('a.txt'), ErrorCode.Unavailable);
    // The objects are the bucket's: still there for assertions after close.
    expect(driver.bucket.keys()).toEqual(['a.txt']);
  });

  it('refuse bad options before signing anything', async () => {
    const driver = createMemoryDriver();
    try {
      await expectStorageError(driver.presignGet('a.txt', { expiresIn: 0 }), ErrorCode.InvalidInput);
      await expectStorageError(driver.presignGet('a.txt', { contentDisposition: 'a\r\nb' }), ErrorCode.InvalidInput);
      await expectStorageError(
        driver.presignPut('a.txt', { contentType: 'not a type', contentLength: 1 }),
        ErrorCode.InvalidInput,
      );
      await expectStorageError(
        driver.presignPut('a.txt', { contentType: 'text/plain', contentLength: -1 }),
        ErrorCode.InvalidInput,
      );
    } finally {
      await driver.close();
    }
  });
});
