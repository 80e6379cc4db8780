import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { canonicalJson, createEntrySigner } from '../src/settings/entry-mac.js';
import type { StoredProviderEntry } from '../src/settings/store.js';

const KEY = 'entry-mac-test-key-0123456789abcdefghijkl';

const entry: StoredProviderEntry = {
  name: 's3',
  enabled: true,
  deleteLocal: false,
  settings: { endpoint: 'https://s3.example', bucket: 'media', nested: { b: 1, a: [1, 'x'] } },
  secrets: {},
  updatedAt: '2026-11-22T20:00:00.000Z',
};

describe('settings entry MAC', () => {
  it('accepts an entry it signed, whatever order a store kept its keys in', () => {
    const signer = createEntrySigner(KEY);
    const signed = signer.sign(entry);
    expect(signed.mac).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const reordered = JSON.parse(
      JSON.stringify({
        ...signed,
        settings: { nested: { a: [1, 'x'], b: 1 }, bucket: 'media', endpoint: 'https://s3.example' },
      }),
    );
    expect(() => signer.check(reordered)).not.toThrow();
  });

  it('refuses any change to settings, flags or name, a missing MAC and another key', () => {
    const signer = createEntrySigner(KEY);
    const signed = signer.sign(entry);
    const changed: StoredProviderEntry[] = [
      { ...signed, settings: { ...signed.settings, endpoint: 'https://evil.example' } },
      { ...signed, enabled: false },
      { ...signed, deleteLocal: true },
      { ...signed, name: 'r2' },
      { ...signed, mac: undefined },
      { ...signed, mac: 'AAAA' },
    ];
    for (const tampered of changed) {
      expect(() => signer.check(tampered)).toThrow(
        expect.objectContaining({
          code: ErrorCode.Misconfigured,
          message: expect.stringContaining('changed outside Stowage'),
        }),
      );
    }
    expect(() => createEntrySigner(`${KEY}-other`).check(signed)).toThrow(/or the app key is wrong/);
  });

  it('never puts the key in its error', () => {
    const signer = createEntrySigner(KEY);
    try {
      signer.check({ ...entry, mac: 'bad' });
      expect.unreachable('check must throw');
    } catch (error) {
      expect(JSON.stringify(error) + String(error)).not.toContain(KEY);
    }
  });

  it('canonical JSON sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});
