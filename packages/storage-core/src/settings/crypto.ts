/**
 * Encryption of secret settings fields at rest: AES-256-GCM (node:crypto) with
 * a key derived from the application key by HKDF-SHA256 and a fresh random salt
 * and IV per value. The provider and field name are bound in as additional
 * authenticated data, so a value copied to another field or provider fails to
 * decrypt instead of being used. A wrong application key or a tampered value is
 * always a MISCONFIGURED error, never garbage, and never shows the key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ErrorCode, StorageError } from '../errors.js';

/** One encrypted value as stored: format version, salt, IV, auth tag and ciphertext (base64). */
export interface EncryptedSecret {
  readonly v: 1;
  readonly alg: 'aes-256-gcm';
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

/** Application keys shorter than this are refused: HKDF does not stretch weak keys. */
export const MIN_APP_KEY_LENGTH = 32;

const HKDF_INFO = 'stowage/settings-secret/v1';

/** Encrypts and decrypts secret settings values with one application key. */
export interface SecretCipher {
  /** Encrypts `value` (any JSON value) for `provider`'s `field`. */
  encrypt(provider: string, field: string, value: unknown): EncryptedSecret;
  /** Decrypts a stored value; MISCONFIGURED when the key is wrong or the value was altered. */
  decrypt(provider: string, field: string, secret: unknown): unknown;
}

/**
 * Builds a cipher from an application key (an APP_KEY-like random string of at
 * least 32 characters, e.g. `openssl rand -base64 32`). Throws MISCONFIGURED for
 * a missing or short key without echoing it.
 */
export function createSecretCipher(appKey: string): SecretCipher {
  if (typeof appKey !== 'string' || appKey.length < MIN_APP_KEY_LENGTH) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `the application key must be a random string of at least ${MIN_APP_KEY_LENGTH} characters (e.g. from \`openssl rand -base64 32\`)`,
    );
  }
  const ikm = Buffer.from(appKey, 'utf8');
  const deriveKey = (salt: Buffer): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, HKDF_INFO, 32));
  const aad = (provider: string, field: string): Buffer => Buffer.from(`${provider}\u0000${field}`, 'utf8');

  return {
    encrypt(provider, field, value) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', deriveKey(salt), iv);
      cipher.setAAD(aad(provider, field));
      const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return {
        v: 1,
        alg: 'aes-256-gcm',
        salt: salt.toString('base64'),
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ct: ct.toString('base64'),
      };
    },
    decrypt(provider, field, secret) {
      const subject = `the stored secret "${field}" of provider "${provider}"`;
      if (!isEncryptedSecret(secret)) {
        throw new StorageError(
          ErrorCode.Misconfigured,
          `${subject} is not a valid encrypted value (version 1 expected)`,
        );
      }
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          deriveKey(Buffer.from(secret.salt, 'base64')),
          decodeIv(secret.iv),
        );
        decipher.setAAD(aad(provider, field));
        decipher.setAuthTag(decodeTag(secret.tag));
        const plain = Buffer.concat([decipher.update(Buffer.from(secret.ct, 'base64')), decipher.final()]);
        return JSON.parse(plain.toString('utf8'));
      } catch (cause) {
        throw new StorageError(
          ErrorCode.Misconfigured,
          `cannot decrypt ${subject}: the application key is wrong or the settings entry was altered; re-enter the secret or restore the key`,
          { cause: new Error((cause as Error).message) },
        );
      }
    },
  };
}

/** True when `value` has the shape of a stored EncryptedSecret. */
export function isEncryptedSecret(value: unknown): value is EncryptedSecret {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.v === 1 &&
    v.alg === 'aes-256-gcm' &&
    typeof v.salt === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.tag === 'string' &&
    typeof v.ct === 'string'
  );
}

// GCM accepts short tags and odd IV lengths; refusing them stops truncation attacks.
function decodeTag(tag: string): Buffer {
  const bytes = Buffer.from(tag, 'base64');
  if (bytes.length !== 16) throw new Error('authentication tag must be 16 bytes');
  return bytes;
}

function decodeIv(iv: string): Buffer {
  const bytes = Buffer.from(iv, 'base64');
  if (bytes.length !== 12) throw new Error('IV must be 12 bytes');
  return bytes;
}
