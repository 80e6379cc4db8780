import { describe, expect, it } from 'vitest';
import { contentTypeProblem, MAX_METADATA_BYTES, metadataProblems } from '../src/metadata.js';

describe('metadataProblems', () => {
  it('accepts lower-case keys with printable ASCII values, and no metadata at all', () => {
    expect(metadataProblems(undefined)).toEqual([]);
    expect(metadataProblems({})).toEqual([]);
    expect(metadataProblems({ model: 'gemini-2.5', 'job-id': 'a_b c', '9x': '' })).toEqual([]);
  });

  it('names every bad key and value', () => {
    expect(metadataProblems({ Model: 'x', 'x y': 'y', _lead: 'z', prompt: 'café', tab: 'a\tb', n: 1 })).toEqual([
      'metadata key "Model" must be lower-case letters, digits, "-" or "_"',
      'metadata key "x y" must be lower-case letters, digits, "-" or "_"',
      'metadata key "_lead" must be lower-case letters, digits, "-" or "_"',
      'metadata value of "prompt" must be printable ASCII text',
      'metadata value of "tab" must be printable ASCII text',
      'metadata value of "n" must be a string',
    ]);
  });

  it('caps keys plus values at 2 KiB in total', () => {
    const atLimit = { k: 'v'.repeat(MAX_METADATA_BYTES - 1) };
    expect(metadataProblems(atLimit)).toEqual([]);
    expect(metadataProblems({ k: 'v'.repeat(MAX_METADATA_BYTES) })).toEqual([
      `metadata must be at most ${MAX_METADATA_BYTES} bytes in total (keys plus values), got ${MAX_METADATA_BYTES + 1}`,
    ]);
  });

  it('refuses metadata that is not an object', () => {
    expect(metadataProblems(['a'])).toEqual(['metadata must be an object of string values']);
    expect(metadataProblems('a=b')).toEqual(['metadata must be an object of string values']);
  });
});

describe('contentTypeProblem', () => {
  it('accepts type/subtype with optional parameters', () => {
    for (const value of [
      'image/png',
      'video/mp4',
      'text/plain; charset=utf-8',
      'application/vnd.api+json',
      'multipart/form-data; boundary="a b"',
    ]) {
      expect(contentTypeProblem(value)).toBeUndefined();
    }
  });

  it('refuses anything else, naming the value', () => {
    for (const value of ['png', 'image/', '/png', 'image/png; charset', 'image png', 'image/png\r\nx-evil: 1', '']) {
      expect(contentTypeProblem(value)).toMatch(/must look like "type\/subtype"/);
    }
    expect(contentTypeProblem(42)).toBe('content type must be a string');
  });
});
