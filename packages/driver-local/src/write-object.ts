import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  abortedError,
  ErrorCode,
  normalizeBody,
  removeQuietly,
  StorageError,
  type TempFile,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '@stowage/storage-core';
import { BodyMeter } from './body-meter.js';
import { fsError } from './fs-errors.js';
import { commitStaged, hasMetadata, objectPaths, openTempNextTo, refuseIfExists } from './object-commit.js';
import { etagOf } from './object-info.js';
import type { RootDirectory } from './root-directory.js';
import type { ObjectMetadata } from './sidecar.js';
import { checkWriteOptions } from './write-options.js';

/**
 * Streams `body` into a temp file next to the key's path, then commits it
 * atomically (see object-commit.ts). `key` must already be validated.
 */
export async function writeObject(
  root: RootDirectory,
  key: string,
  body: WriteBody,
  options: WriteOptions,
): Promise<WriteResult> {
  const userMetadata = checkWriteOptions(key, options);
  const { signal } = options;
  if (signal?.aborted) throw abortedError(signal, key);
  const normalized = await normalizeBody(body, key);
  const { stream } = normalized;
  if (
    options.contentLength !== undefined &&
    normalized.length !== undefined &&
    normalized.length !== options.contentLength
  ) {
    stream.destroy();
    throw new StorageError(
      ErrorCode.InvalidInput,
      `body for key "${key}" is ${normalized.length} bytes but contentLength says ${options.contentLength}`,
      { key },
    );
  }

  let temp: TempFile | undefined;
  try {
    const paths = await objectPaths(root, key);
    if (options.ifNotExists) await refuseIfExists(paths, key);
    temp = await openTempNextTo(root, paths, key);
    const meter = new BodyMeter(key, options.contentLength ?? normalized.length, options.onProgress);
    // The stream owns the handle from here: it fsyncs (flush) and closes it when done.
    const sink = temp.handle.createWriteStream({ flush: true });
    await (signal ? pipeline(stream, meter, sink, { signal }) : pipeline(stream, meter, sink));
    const info = await stat(temp.path, { bigint: true });
    const staged = { tempPath: temp.path, size: Number(info.size), ino: info.ino };
    temp = undefined;

    const metadata: ObjectMetadata = {
      contentType: options.contentType,
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
      metadata: userMetadata,
    };
    await commitStaged(root, paths, key, staged, hasMetadata(metadata) ? metadata : undefined, {
      exclusive: options.ifNotExists === true,
      beforeCommit: () => {
        if (signal?.aborted) throw abortedError(signal, key);
      },
    });
    return { key, size: staged.size, etag: etagOf(info), checksum: 'none' };
  } catch (error) {
    stream.destroy();
    if (temp) {
      await temp.handle.close().catch(() => undefined);
      await removeQuietly(temp.path);
      const real = await root.real();
      await root.pruneObjectFolders(real, dirname(temp.path));
    }
    if (signal?.aborted) throw abortedError(signal, key);
    throw fsError(error, 'writing', key);
  }
}
