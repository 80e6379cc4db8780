import { describe, expect, it } from 'vitest';
import {
  applyKeyPrefix,
  ErrorCode,
  encodeKeyPath,
  InvalidKeyError,
  keyProblem,
  MAX_KEY_BYTES,
  normalizeKeyPrefix,
  stripKeyPrefix,
  validateKey,
  validatePrefix,
} from '../src/index.js';

describe('keyProblem accepts valid keys', () => {
  it.each([
    ['a plain name', 'photo.png'],
    ['a deep path', 'images/gemini/2026/11/uuid.png'],
    ['unicode', 'ünïcødé/日本語/😀.txt'],
    ['spaces, "+", "%" and punctuation', "a b+c%20d&e=f?g#h;i,j@k$l!m~n'o(p)q[r]s{t}.txt"],
    ['dot-names that are not "." or ".."', '.hidden/..double/...triple/a..b'],
    ['a single character', 'x'],
  ])('accepts %s', (_why, key) => {
    expect(keyProblem(key)).toBeUndefined();
    expect(validateKey(key)).toBe(key);
  });
});

describe('keyProblem refuses every broken rule, saying which', () => {
  it.each([
    ['a non-string', 42, 'must be a string'],
    ['undefined', undefined, 'must be a string'],
    ['an empty key', '', 'must not be empty'],
    ['a ".." segment', '../x', '".." segment'],
    ['a ".." segment in the middle', 'a/../b', '".." segment'],
    ['a "." segment', 'a/./b', '"." segment'],
    ['a lone "."', '.', '"." segment'],
    ['a leading "/"', '/abs', 'relative'],
    ['a trailing "/"', 'folder/', 'end with "/"'],
    ['an empty segment', 'a//b', 'empty segment'],
    ['a backslash', 'a\\b', 'backslash'],
    ['a NUL byte', 'a\u0000b', 'control characters'],
    ['a newline', 'a\nb', 'control characters'],
    ['a tab', 'a\tb', 'control characters'],
    ['the last C0 control (0x1f)', 'a\u001fb', 'control characters'],
    ['DEL (0x7f)', 'a\u007fb', 'control characters'],
  ])('refuses %s', (_why, key, expected) => {
    expect(keyProblem(key)).toContain(expected);
  });
});

describe('the 1,024-byte limit counts UTF-8 bytes, not characters', () => {
  it.each([
    ['1,024 ASCII bytes', 'a'.repeat(1024), true],
    ['1,025 ASCII bytes', 'a'.repeat(1025), false],
    ['512 two-byte characters (1,024 bytes)', 'é'.repeat(512), true],
    ['512 two-byte characters and one ASCII byte (1,025 bytes)', `${'é'.repeat(512)}a`, false],
    ['513 two-byte characters: 513 characters but 1,026 bytes', 'é'.repeat(513), false],
    ['256 four-byte emoji (1,024 bytes)', '😀'.repeat(256), true],
    ['one ASCII byte and 256 emoji (1,025 bytes)', `a${'😀'.repeat(256)}`, false],
    ['341 three-byte characters and one ASCII byte (1,024 bytes)', `${'日'.repeat(341)}a`, true],
    ['341 three-byte characters and two ASCII bytes (1,025 bytes)', `${'日'.repeat(341)}ab`, false],
  ])('%s', (_why, key, valid) => {
    expect(MAX_KEY_BYTES).toBe(1024);
    if (valid) expect(keyProblem(key)).toBeUndefined();
    else expect(keyProblem(key)).toBe('key is longer than 1024 UTF-8 bytes');
  });
});

describe('validateKey', () => {
  it('throws InvalidKeyError with code INVALID_KEY, the problem and the key in the message', () => {
    let caught: unknown;
    try {
      validateKey('../etc/passwd');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidKeyError);
    const error = caught as InvalidKeyError;
    expect(error.code).toBe(ErrorCode.InvalidKey);
    expect(error.message).toBe('invalid key "../etc/passwd": key must not contain a ".." segment');
    expect(error.key).toBe('../etc/passwd');
    expect(error.retryable).toBe(false);
  });

  it('shortens a very long key in the message and in error.key', () => {
    const key = 'x'.repeat(5000);
    const error = (() => {
      try {
        validateKey(key);
      } catch (caught) {
        return caught as InvalidKeyError;
      }
      throw new Error('validateKey accepted a 5,000-byte key');
    })();
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toContain('…');
    expect(error.key?.length).toBe(200);
  });

  it('names the type of a non-string key instead of printing it', () => {
    expect(() => validateKey({ secret: 'value' })).toThrow('invalid key (object): key must be a string');
  });
});

describe('validatePrefix', () => {
  it.each([
    ['undefined (everything)', undefined, ''],
    ['empty (everything)', '', ''],
    ['a folder-like prefix ending in "/"', 'images/', 'images/'],
    ['a plain string prefix', 'images/ge', 'images/ge'],
  ])('accepts %s', (_why, prefix, expected) => {
    expect(validatePrefix(prefix)).toBe(expected);
  });

  it.each([
    ['a leading "/"', '/images'],
    ['a ".." segment', '../'],
    ['a double "/" at the end', 'images//'],
    ['a backslash', 'a\\'],
  ])('refuses %s with INVALID_KEY, calling it a prefix', (_why, prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(InvalidKeyError);
    expect(() => validatePrefix(prefix)).toThrow(/invalid prefix .*prefix/);
  });
});

describe('driver key prefixes', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['media', 'media/'],
    ['/media/', 'media/'],
    ['tenant-a/uploads//', 'tenant-a/uploads/'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeKeyPrefix(input)).toBe(expected);
  });

  it('refuses a key prefix that breaks the key rules', () => {
    expect(() => normalizeKeyPrefix('../escape')).toThrow(InvalidKeyError);
    expect(() => normalizeKeyPrefix('a//b')).toThrow(InvalidKeyError);
  });

  it('applies and strips a prefix as inverses, leaving foreign keys alone', () => {
    const backendKey = applyKeyPrefix('media/', 'a/b.png');
    expect(backendKey).toBe('media/a/b.png');
    expect(stripKeyPrefix('media/', backendKey)).toBe('a/b.png');
    expect(stripKeyPrefix('', 'a/b.png')).toBe('a/b.png');
    expect(stripKeyPrefix('media/', 'other/a.png')).toBe('other/a.png');
  });
});

describe('encodeKeyPath', () => {
  it('encodes each segment for a URL path and keeps the separators', () => {
    expect(encodeKeyPath('images/my cat+1%?#.png')).toBe('images/my%20cat%2B1%25%3F%23.png');
    expect(encodeKeyPath('日本/ü.png')).toBe('%E6%97%A5%E6%9C%AC/%C3%BC.png');
  });

  it('round-trips through URL parsing', () => {
    const key = 'deep/a b/c+d/%e/ü.txt';
    const url = new URL(`https://cdn.example/${encodeKeyPath(key)}`);
    expect(url.pathname.slice(1).split('/').map(decodeURIComponent).join('/')).toBe(key);
  });
});
