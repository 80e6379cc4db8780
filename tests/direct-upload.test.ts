/**
 * storage.presignUpload / storage.recordUpload without a server: the
 * in-memory backend serves its presigned URLs on 127.0.0.1, so the upload is a
 * real HTTP PUT. Limits refuse before anything is signed, the key follows the
 * provider's template, recording checks the object against what was signed
 * (and is idempotent), and the recorded location reads back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDriverDefinition, type MemoryDriverDefinition } from '../packages/driver-memory/src/index.js';
import { ErrorCode, type Storage, StorageError, streamToBuffer } from '../packages/storage-core/src/index.js';
import { createWorkspace, type Workspace } from './support/fixture.js';

const LIMITS = { allowedTypes: ['image/png', 'image/jpeg'], maxBytes: 1000 };

async function refusal(run: Promise<unknown>): Promise<StorageError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe('direct uploads through the storage API (in-memory backend)', () => {
  let ws: Workspace;
  let storage: Storage;
  let memory: MemoryDriverDefinition;

  beforeEach(async () => {
    ws = await createWorkspace();
    storage = await ws.open();
    memory = createMemoryDriverDefinition('mem');
    storage.registry.register(memory);
    await storage.registry.saveSettings('mem', { bucket: 'uploads', keyTemplate: 'u/{year}/{uuid}.{extName}' });
  });
  afterEach(async () => {
    await ws.remove();
  });

  it('refuses while local disk is the default, and a template that needs the content or lacks {uuid}', async () => {
    const local = await refusal(storage.presignUpload({ fileName: 'a.png', contentType: 'image/png', size: 3 }));
    expect(local.code).toBe(ErrorCode.Misconfigured);
    expect(local.message).toMatch(/remote default backend/);
    await storage.registry.enable('mem');
    await storage.registry.setDefault('mem');
    const content = await refusal(
      storage.presignUpload({ fileName: 'a.png', contentType: 'image/png', size: 3, keyTemplate: '{hash8}.{extName}' }),
    );
    expect(content.message).toMatch(/cannot know before its bytes arrive/);
    const notUnique = await refusal(
      storage.presignUpload({
        fileName: 'a.png',
        contentType: 'image/png',
        size: 3,
        keyTemplate: 'u/{fileName}.{extName}',
      }),
    );
    expect(notUnique.message).toMatch(/needs \{uuid\}: without it two uploads of the same name would overwrite/);
  });

  it('refuses a type not allowed, a file too large, a bad name or size, each saying why', async () => {
    await storage.registry.enable('mem');
    await storage.registry.setDefault('mem');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ contentType: 'application/pdf' }, /type application\/pdf are not allowed; allowed: image\/png, image\/jpeg/],
      [{ size: 5000 }, /"a\.png" is 4\.9 KiB; uploads are limited to 1000 bytes/],
      [{ fileName: '..' }, /file name is empty, too long or not allowed/],
      [{ size: -1 }, /size must be a whole number/],
      [{ contentType: 'png' }, /must be a MIME type/],
    ];
    for (const [change, message] of cases) {
      const error = await refusal(
        storage.presignUpload({ fileName: 'a.png', contentType: 'image/png', size: 10, ...LIMITS, ...change }),
      );
      expect(error.code).toBe(ErrorCode.InvalidInput);
      expect(error.message).toMatch(message);
    }
    expect(memory.bucket('uploads').size).toBe(0);
  });

  it('signs under the templated key, records what was uploaded, and the location reads back', async () => {
    await storage.registry.enable('mem');
    await storage.registry.setDefault('mem');
    const bytes = Buffer.from('pretend png bytes');
    const upload = await storage.presignUpload({
      fileName: 'C:\\Users\\me\\cat.png',
      contentType: 'image/png',
      size: bytes.length,
      ...LIMITS,
    });
    expect(upload.key).toMatch(new RegExp(`^u/${new Date().getUTCFullYear()}/[0-9a-f-]{36}\\.png$`));
    expect(upload.location).toBe(`mem:${upload.key}`);
    const notYet = await refusal(storage.recordUpload({ ...upload, size: bytes.length, contentType: 'image/png' }));
    expect(notYet.code).toBe(ErrorCode.NotFound);

    const put = await fetch(upload.request.url, { method: 'PUT', headers: upload.request.headers, body: bytes });
    expect(put.status).toBe(200);
    const wrong = await refusal(storage.recordUpload({ ...upload, size: bytes.length + 1, contentType: 'image/jpeg' }));
    expect(wrong.code).toBe(ErrorCode.ChecksumMismatch);
    expect(wrong.message).toMatch(
      /has 17 bytes instead of the 18 signed and type "image\/png" instead of "image\/jpeg"/,
    );

    const recorded = await storage.recordUpload({ ...upload, size: bytes.length, contentType: 'image/png' });
    expect(recorded).toMatchObject({ location: upload.location, target: upload.target, size: bytes.length });
    expect(await storage.recordUpload({ ...upload, size: bytes.length, contentType: 'image/png' })).toEqual(recorded);
    expect(await storage.catalog?.resolve(upload.location)).toMatchObject({
      id: recorded.resultId,
      state: 'offloaded',
      localCopy: false,
    });
    expect(await streamToBuffer(await storage.read(upload.location))).toEqual(bytes);
  });
});
