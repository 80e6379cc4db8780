import { describe, expect, it } from 'vitest';
import { createSecretCipher, ErrorCode, isEncryptedSecret } from '../src/index.js';

const APP_KEY = 'k3y-for-tests-0123456789abcdefghijklmnop';
const OTHER_KEY = 'another-key-0123456789abcdefghijklmnopqrs';

describe('secret settings encryption', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const cipher = createSecretCipher(APP_KEY);
    const stored = cipher.encrypt('r2', 'secretAccessKey', 'wJalrXUtnFEMI/K7MDENG');
    expect(isEncryptedSecret(stored)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain('wJalrXUtnFEMI');
    expect(cipher.decrypt('r2', 'secretAccessKey', stored)).toBe('wJalrXUtnFEMI/K7MDENG');
  });

  it('uses a fresh salt and IV for every value', () => {
    const cipher = createSecretCipher(APP_KEY);
    const a = cipher.encrypt('r2', 'secretAccessKey', 'same');
    const b = cipher.encrypt('r2', 'secretAccessKey', 'same');
    expect(a.salt).not.toBe(b.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('refuses a wrong application key with MISCONFIGURED naming the provider, not the key', () => {
    const stored = createSecretCipher(APP_KEY).encrypt('r2', 'secretAccessKey', 'top-secret-value');
    let thrown: unknown;
    try {
      createSecretCipher(OTHER_KEY).decrypt('r2', 'secretAccessKey', stored);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: ErrorCode.Misconfigured });
    const message = (thrown as Error).message;
    expect(message).toMatch(/"secretAccessKey" of provider "r2".*application key is wrong/);
    expect(message).not.toContain(OTHER_KEY);
    expect(message).not.toContain(APP_KEY);
    expect(message).not.toContain('top-secret-value');
  });

  it('detects a tampered ciphertext, tag or IV', () => {
    const cipher = createSecretCipher(APP_KEY);
    const stored = cipher.encrypt('r2', 'secretAccessKey', 'value');
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64');
    };
    for (const field of ['ct', 'tag', 'iv', 'salt'] as const) {
      expect(() => cipher.decrypt('r2', 'secretAccessKey', { ...stored, [field]: flip(stored[field]) })).toThrow(
        expect.objectContaining({ code: ErrorCode.Misconfigured }),
      );
    }
  });

  it('refuses a value moved to another field or provider', () => {
    const cipher = createSecretCipher(APP_KEY);
    const stored = cipher.encrypt('r2', 'secretAccessKey', 'value');
    expect(() => cipher.decrypt('r2', 'accessKeyId', stored)).toThrow(/cannot decrypt/);
    expect(() => cipher.decrypt('s3', 'secretAccessKey', stored)).toThrow(/cannot decrypt/);
  });

  it('refuses a truncated authentication tag', () => {
    const cipher = createSecretCipher(APP_KEY);
    const stored = cipher.encrypt('r2', 'secretAccessKey', 'value');
    const shortTag = Buffer.from(stored.tag, 'base64').subarray(0, 4).toString('base64');
    expect(() => cipher.decrypt('r2', 'secretAccessKey', { ...stored, tag: shortTag })).toThrow(/cannot decrypt/);
  });

  it('refuses something that is not an encrypted value', () => {
    const cipher = createSecretCipher(APP_KEY);
    expect(() => cipher.decrypt('r2', 'secretAccessKey', 'plain-text')).toThrow(/not a valid encrypted value/);
  });

  it('refuses a short application key without echoing it', () => {
    expect(() => createSecretCipher('short-key')).toThrow(
      expect.objectContaining({ code: ErrorCode.Misconfigured, message: expect.not.stringContaining('short-key') }),
    );
  });
});
