/**
 * Presigned URLs used the way a browser would: plain fetch against real MinIO.
 * Content type and exact length are signed in, so MinIO refuses anything else.
 */

import { ErrorCode, MAX_PRESIGN_EXPIRES_IN as MAX_PRESIGN_SECONDS } from '@stowage/storage-core';
import { readText } from '@stowage/storage-core/testing';
import { createTestBucket, removeTestBucket } from '@stowage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Driver, type S3Driver } from '../src/index.js';
import { minioSettings } from './support/minio-settings.js';

const server = inject('s3');
let bucket: string;
let driver: S3Driver;

beforeAll(async () => {
  bucket = await createTestBucket(server, 's3-presign');
  driver = createS3Driver({
    ...minioSettings(server, bucket),
    keyPrefix: 'uploads',
    publicBaseUrl: 'https://cdn.example.com/media',
  });
});
afterAll(async () => {
  await driver.close();
  await removeTestBucket(server, bucket);
});

describe('presigned PUT', () => {
  it('accepts exactly the signed type and length from plain fetch', async () => {
    const body = new TextEncoder().encode('<png bytes>');
    const signed = await driver.presignPut('browser/a.png', { contentType: 'image/png', contentLength: body.length });
    expect(new URL(signed.url).origin).toBe(server.endpoint);
    expect(new URL(signed.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    const response = await fetch(signed.url, { method: signed.method, headers: signed.headers, body });
    expect(response.status).toBe(200);
    expect(await readText(driver, 'browser/a.png')).toBe('<png bytes>');
    expect((await driver.stat('browser/a.png')).contentType).toBe('image/png');
  });

  it('is refused by MinIO (403) when the body has another length, and stores nothing', async () => {
    const signed = await driver.presignPut('browser/len.png', { contentType: 'image/png', contentLength: 10 });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'eleven byte' });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/SignatureDoesNotMatch/);
    expect(await driver.exists('browser/len.png')).toBe(false);
  });

  it('is refused by MinIO (403) when the content type differs, and stores nothing', async () => {
    const signed = await driver.presignPut('browser/type.png', { contentType: 'image/png', contentLength: 4 });
    const response = await fetch(signed.url, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: 'html',
    });
    expect(response.status).toBe(403);
    expect(await driver.exists('browser/type.png')).toBe(false);
  });

  it('caps the expiry at 7 days', async () => {
    const signed = await driver.presignPut('browser/long.png', {
      contentType: 'image/png',
      contentLength: 1,
      expiresIn: 30 * 24 * 3600,
    });
    expect(new URL(signed.url).searchParams.get('X-Amz-Expires')).toBe(String(MAX_PRESIGN_SECONDS));
    expect(signed.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(MAX_PRESIGN_SECONDS * 1000);
  });

  it('refuses a missing length or type and a non-positive expiry before signing', async () => {
    await expect(driver.presignPut('a.png', { contentType: 'image/png' } as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
      message: expect.stringMatching(/contentLength must be/),
    });
    await expect(driver.presignPut('a.png', { contentType: '', contentLength: 1 })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
    await expect(driver.presignGet('a.png', { expiresIn: -5 })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
  });
});

describe('presigned GET', () => {
  it('downloads with the requested Content-Disposition, from the S3 endpoint rather than the public base', async () => {
    await driver.write('docs/report.pdf', 'pdf body', { contentType: 'application/pdf' });
    const signed = await driver.presignGet('docs/report.pdf', {
      contentDisposition: 'attachment; filename="report.pdf"',
      expiresIn: 60,
    });
    expect(new URL(signed.url).origin).toBe(server.endpoint);
    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(await response.text()).toBe('pdf body');
  });

  it('public URLs use the public base and the prefixed key, never the bucket name', () => {
    expect(driver.publicUrl('docs/a b.pdf')).toBe('https://cdn.example.com/media/uploads/docs/a%20b.pdf');
  });
});
