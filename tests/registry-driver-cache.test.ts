/**
 * The registry's driver cache, on its own, with real S3 drivers (built without
 * I/O; a closed one refuses to hand out its client, which is how these tests
 * see what was closed).
 */
import { describe, expect, it } from 'vitest';
import type { S3Driver } from '../packages/driver-s3/src/index.js';
import { DriverCache } from '../packages/storage-core/src/registry/driver-cache.js';
import { isClosed, offlineS3Driver } from './support/offline-s3.js';

const s3Driver = () => offlineS3Driver();

describe('DriverCache', () => {
  it('builds a driver once per key and hands out the same one', () => {
    const cache = new DriverCache();
    let builds = 0;
    const build = () => {
      builds += 1;
      return s3Driver();
    };
    const first = cache.get('r2', build);
    expect(cache.get('r2', build)).toBe(first);
    expect(cache.get('r2.2', build)).not.toBe(first);
    expect(builds).toBe(2);
  });

  it('caches nothing when building throws, so the next call tries again', () => {
    const cache = new DriverCache();
    expect(() =>
      cache.get('r2', () => {
        throw new Error('settings refused');
      }),
    ).toThrow('settings refused');
    expect(cache.has('r2')).toBe(false);
    expect(cache.get('r2', s3Driver)).toBeDefined();
  });

  it('retires a driver without closing it (operations may still hold it), then builds a new one', () => {
    const cache = new DriverCache();
    const old = cache.get('r2', s3Driver) as S3Driver;
    cache.retire('r2');
    cache.retire('never-built');
    expect(isClosed(old)).toBe(false);
    const fresh = cache.get('r2', s3Driver);
    expect(fresh).not.toBe(old);
  });

  it('closes every driver it built, cached or retired, even when one close fails', async () => {
    const cache = new DriverCache();
    const retired = cache.get('a', s3Driver) as S3Driver;
    cache.retire('a');
    const current = cache.get('a', s3Driver) as S3Driver;
    const other = cache.get('b', s3Driver) as S3Driver;
    cache.retireAll();
    expect(cache.has('b')).toBe(false);
    const failing = cache.get('c', () => Object.assign(s3Driver(), { close: () => Promise.reject(new Error('x')) }));
    await cache.close();
    expect([retired, current, other].map(isClosed)).toEqual([true, true, true]);
    expect(failing).toBeDefined();
  });
});
