import { describe, expect, it } from 'vitest';
import { ErrorCode, formatLocation, parseLocation, validateBackendName } from '../src/index.js';

describe('locations', () => {
  it('formats and parses "<backend>:<key>" as inverses', () => {
    const location = formatLocation('r2', 'images/gemini/uuid.png');
    expect(location).toBe('r2:images/gemini/uuid.png');
    expect(parseLocation(location)).toEqual({ backend: 'r2', key: 'images/gemini/uuid.png' });
  });

  it('splits at the first colon, so keys may contain colons', () => {
    expect(parseLocation('minio-eu:a/b:c.png')).toEqual({ backend: 'minio-eu', key: 'a/b:c.png' });
  });

  it.each([
    ['', ErrorCode.InvalidInput, /expected "<backend>:<key>"/],
    ['images/a.png', ErrorCode.InvalidInput, /expected "<backend>:<key>"/],
    [':a.png', ErrorCode.InvalidInput, /expected "<backend>:<key>"/],
    ['R2:a.png', ErrorCode.InvalidInput, /lower-case/],
    ['r2:', ErrorCode.InvalidKey, /must not be empty/],
    ['r2:../etc/passwd', ErrorCode.InvalidKey, /"\.\." segment/],
    ['r2:/abs.png', ErrorCode.InvalidKey, /relative/],
  ])('refuses %j with %s naming the problem', (input, code, message) => {
    expect(() => parseLocation(input)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it('refuses a location that is not a string', () => {
    expect(() => parseLocation(42)).toThrow(/location must be a string/);
  });

  it('refuses to format a location from a bad backend name or key', () => {
    expect(() => formatLocation('Bad Name', 'a.png')).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidInput }),
    );
    expect(() => formatLocation('r2', 'a//b.png')).toThrow(expect.objectContaining({ code: ErrorCode.InvalidKey }));
  });

  it('accepts backend names of lower-case letters, digits and dashes only', () => {
    expect(validateBackendName('s3-eu-2')).toBe('s3-eu-2');
    expect(() => validateBackendName('2fast')).toThrow(/start with a lower-case letter/);
    expect(() => validateBackendName('a_b')).toThrow(/invalid backend name "a_b"/);
  });
});
