import type { StorageDriver } from '../types.js';

/** A URL for an object and what kind it is. */
export interface ObjectUrl {
  readonly url: string | undefined;
  readonly kind: 'public' | 'signed' | undefined;
  readonly expiresAt: Date | undefined;
}

/**
 * The best URL a backend offers for `key`: the public (CDN) URL when it has a
 * public base, else a presigned GET valid for `expiresIn` seconds. Throws the
 * driver's error; UNSUPPORTED when it offers neither.
 */
export async function objectUrl(driver: StorageDriver, key: string, expiresIn: number): Promise<ObjectUrl> {
  if (driver.capabilities.publicUrls) return { url: driver.publicUrl(key), kind: 'public', expiresAt: undefined };
  if (driver.capabilities.presignedUrls) {
    const signed = await driver.presignGet(key, { expiresIn });
    return { url: signed.url, kind: 'signed', expiresAt: signed.expiresAt };
  }
  return { url: undefined, kind: undefined, expiresAt: undefined };
}
