/**
 * The ETag arithmetic the write verification relies on. Pure computation, so it
 * is checked here against node:crypto directly; upload.test.ts proves the same
 * values against MinIO's real ETags.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { checkEtag, IntegrityStream } from '../src/integrity.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest();

async function pass(body: Buffer, partSize: number, chunk = 1000): Promise<IntegrityStream> {
  const integrity = new IntegrityStream(partSize, undefined, 'k');
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) chunks.push(body.subarray(i, i + chunk));
  await pipeline(Readable.from(chunks), integrity, async (source) => {
    for await (const _ of source);
  });
  return integrity;
}

describe('IntegrityStream', () => {
  it('gives the plain MD5 of a body that fits in one part, including an empty one', async () => {
    const body = Buffer.alloc(4096, 7);
    expect((await pass(body, 8192)).md5Hex()).toBe(md5(body).toString('hex'));
    expect((await pass(body, 4096)).md5Hex()).toBe(md5(body).toString('hex'));
    expect((await pass(Buffer.alloc(0), 8192)).md5Hex()).toBe(md5(Buffer.alloc(0)).toString('hex'));
  });

  it('gives the multipart ETag of uniform parts, whatever the chunking', async () => {
    const body = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    const parts = [body.subarray(0, 4096), body.subarray(4096, 8192), body.subarray(8192)];
    const expected = `${createHash('md5')
      .update(Buffer.concat(parts.map(md5)))
      .digest('hex')}-3`;
    expect((await pass(body, 4096, 999)).multipartEtag()).toBe(expected);
    expect((await pass(body, 4096, 4096)).multipartEtag()).toBe(expected);
  });

  it('counts bytes and refuses a body longer than the promised length', async () => {
    const integrity = new IntegrityStream(4096, 10, 'k');
    await expect(
      pipeline(Readable.from([Buffer.alloc(11)]), integrity, async (s) => {
        for await (const _ of s);
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('checkEtag', () => {
  it('matches a single-part ETag and reports md5', async () => {
    const body = Buffer.from('hello');
    const result = checkEtag(`"${md5(body).toString('hex')}"`, await pass(body, 4096), true);
    expect(result).toMatchObject({ kind: 'md5', matches: true });
  });

  it('reports a mismatch when the ETag differs from the bytes sent', async () => {
    const result = checkEtag(
      `"${md5(Buffer.from('other')).toString('hex')}"`,
      await pass(Buffer.from('hello'), 4096),
      true,
    );
    expect(result).toMatchObject({ kind: 'md5', matches: false });
  });

  it('cannot check a plain-MD5-looking ETag of a multipart body, and says so instead of failing', async () => {
    const integrity = await pass(Buffer.alloc(10_000, 1), 4096);
    expect(checkEtag(`"${'a'.repeat(32)}"`, integrity, true)).toEqual({ kind: 'none', matches: true });
  });

  it('does not check ETags that are not MD5-based (SSE-KMS)', async () => {
    const body = Buffer.from('hello');
    expect(checkEtag(`"${md5(body).toString('hex')}"`, await pass(body, 4096), false)).toEqual({
      kind: 'none',
      matches: true,
    });
  });
});
