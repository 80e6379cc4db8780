/**
 * Tamper detection for whole settings entries. Secrets are authenticated by
 * AES-GCM, but plain fields (endpoint, bucket, enabled, deleteLocal...) are
 * not: someone who can edit the settings file could point a backend at their
 * own server. Each entry therefore carries an HMAC-SHA256 over a canonical
 * JSON of everything in it, keyed by HKDF from the application key with its
 * own info string, so the MAC key is independent of the encryption keys.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ErrorCode, StorageError } from '../errors.js';
import type { StoredProviderEntry } from './store.js';

const HKDF_INFO = 'stowage/settings-entry-mac/v1';
const HKDF_SALT = 'stowage/settings-entry';

/** Signs and checks stored provider entries with one application key. */
export interface EntrySigner {
  /** The entry with its `mac` set over every other field. */
  sign(entry: StoredProviderEntry): StoredProviderEntry;
  /** Throws MISCONFIGURED unless `entry.mac` matches its content under this key. */
  check(entry: StoredProviderEntry): void;
}

/** Builds a signer from an application key that `createSecretCipher` already accepted. */
export function createEntrySigner(appKey: string): EntrySigner {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(appKey, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
  const macOf = (entry: StoredProviderEntry): Buffer => {
    const { mac: _mac, ...content } = entry;
    return createHmac('sha256', key).update(canonicalJson(content)).digest();
  };
  return {
    sign(entry) {
      return { ...entry, mac: macOf(entry).toString('base64') };
    },
    check(entry) {
      const given = typeof entry.mac === 'string' ? Buffer.from(entry.mac, 'base64') : Buffer.alloc(0);
      const expected = macOf(entry);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw tamperedEntry(entry.name);
    },
  };
}

/** The error for an entry whose MAC does not match; it never shows the key or the settings. */
function tamperedEntry(name: string): StorageError {
  return new StorageError(
    ErrorCode.Misconfigured,
    `settings for "${name}" were changed outside Stowage, or the app key is wrong; save them again to trust them`,
    { details: { backend: name } },
  );
}

/**
 * JSON with object keys sorted at every level and no whitespace, so the same
 * entry always yields the same bytes whatever order a store kept its keys in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
