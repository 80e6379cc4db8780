import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_TYPE, resolveContentType } from '../src/index.js';

describe('resolveContentType', () => {
  it('prefers the type the caller gives', () => {
    expect(resolveContentType('a.png', 'image/webp')).toBe('image/webp');
  });

  it.each([
    ['images/a.png', 'image/png'],
    ['videos/clip.MP4', 'video/mp4'],
    ['data/x.json', 'application/json'],
    ['photo.JPEG', 'image/jpeg'],
    ['page.html', 'text/html'],
  ])('detects %s as %s, ignoring case', (key, expected) => {
    expect(resolveContentType(key)).toBe(expected);
  });

  it('falls back to application/octet-stream without a known extension', () => {
    expect(DEFAULT_CONTENT_TYPE).toBe('application/octet-stream');
    expect(resolveContentType('no-extension')).toBe(DEFAULT_CONTENT_TYPE);
    expect(resolveContentType('weird.ext-that-does-not-exist')).toBe(DEFAULT_CONTENT_TYPE);
  });
});
