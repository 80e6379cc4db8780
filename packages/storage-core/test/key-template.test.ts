/**
 * Key templates on their own: what each token gives, what is refused (every
 * problem at once, never the entered text), and that the derived UUID is fixed.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KEY_TEMPLATE,
  derivedUuid,
  ErrorCode,
  KEY_TEMPLATE_TOKENS,
  keyTemplateNeeds,
  keyTemplateProblems,
  renderKeyTemplate,
  StorageError,
} from '../src/index.js';

const SHA256 = 'a3f1c0de'.padEnd(64, '0');
const MD5 = '0cc175b9c0f1b6a831c399e269772661';
const FACTS = {
  path: 'images/gemini/cat.photo.png',
  time: Date.UTC(2026, 0, 5, 23, 59, 58, 7),
  uuid: '2f1e3c4d-5b6a-4789-8abc-def012345678',
  sha256: SHA256,
  md5: MD5,
};

describe('renderKeyTemplate', () => {
  it.each([
    [DEFAULT_KEY_TEMPLATE, 'images/gemini/cat.photo.png'],
    ['{year}/{month}/{fileName}.{extName}', '2026/01/cat.photo.png'],
    ['{year}-{month}-{day}/{timestamp}.{extName}', `2026-01-05/${FACTS.time}.png`],
    ['u/{uuid}.{extName}', `u/${FACTS.uuid}.png`],
    ['c/{md5}', `c/${MD5}`],
    ['c/{sha256}.{extName}', `c/${SHA256}.png`],
    ['media/{hash8}/{fileName}.{extName}', 'media/a3f1c0de/cat.photo.png'],
    ['keep/{path}', 'keep/images/gemini/cat.photo.png'],
  ])('%s gives %s', (template, key) => {
    expect(renderKeyTemplate(template, FACTS)).toBe(key);
  });

  it('gives a file without an extension no trailing dot, and a dot-file its whole name', () => {
    expect(renderKeyTemplate('{year}/{fileName}.{extName}', { ...FACTS, path: 'a/README' })).toBe('2026/README');
    expect(renderKeyTemplate('{fileName}.{extName}', { ...FACTS, path: 'a/.env' })).toBe('.env');
  });

  it('refuses a key the rules do not allow, as MISCONFIGURED naming the result', () => {
    const run = () => renderKeyTemplate('x/{extName}/{uuid}', { ...FACTS, path: 'a/README' });
    expect(run).toThrow(StorageError);
    expect(run).toThrow(/result "a\/README" an invalid key: key must not contain an empty segment/);
    try {
      run();
    } catch (error) {
      expect((error as StorageError).code).toBe(ErrorCode.Misconfigured);
    }
  });

  it('needs the digests only for content tokens', () => {
    expect(keyTemplateNeeds('{year}/{fileName}.{extName}')).toEqual({ content: false, uuid: false });
    expect(keyTemplateNeeds('{hash8}/{uuid}')).toEqual({ content: true, uuid: true });
    const { sha256: _s, md5: _m, ...noDigests } = FACTS;
    expect(() => renderKeyTemplate('{hash8}.{extName}', noDigests)).toThrow(/needs the sha256/);
    expect(renderKeyTemplate('{uuid}.{extName}', noDigests)).toBe(`${FACTS.uuid}.png`);
  });
});

describe('keyTemplateProblems', () => {
  it('accepts every token, and templates without a unique one', () => {
    const all = Object.keys(KEY_TEMPLATE_TOKENS)
      .map((token) => `{${token}}`)
      .join('-');
    expect(keyTemplateProblems(all)).toEqual([]);
    expect(keyTemplateProblems('{year}/{month}/{fileName}.{extName}')).toEqual([]);
    expect(keyTemplateProblems('static/{extName}')).toEqual([]);
  });

  it.each([
    ['an unknown token', 'img/{name}.{extName}', /unknown token at character 5/],
    ['an empty token', 'img/{}.png', /unknown token at character 5/],
    ['an unpaired brace', 'img/{year/{uuid}', /"\{" or "\}" without its pair/],
    ['an absolute template', '/img/{uuid}', /must be relative/],
    ['a ".." segment', 'img/../{uuid}', /segment 2 is ".."/],
    ['a "." segment', './{uuid}', /segment 1 is "."/],
    ['an empty segment', 'img//{uuid}', /segment 2 is empty/],
    ['a trailing slash', '{year}/', /segment 2 is empty/],
    ['a backslash', 'img\\{uuid}', /backslash/],
    ['a control character', 'img/\u0007{uuid}', /control characters/],
    ['no token at all', 'img/photo.png', /needs at least one token/],
    ['a template that is too long', `${'a'.repeat(600)}{uuid}`, /at most 512 characters/],
  ])('refuses %s', (_why, template, problem) => {
    const problems = keyTemplateProblems(template);
    expect(problems.join('\n')).toMatch(problem);
  });

  it('lists every problem at once and never repeats the entered text', () => {
    const secretish = 'AKIAIOSFODNN7EXAMPLE';
    const problems = keyTemplateProblems(`/${secretish}//{${secretish}}/..`);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).not.toContain(secretish);
    expect(keyTemplateProblems(42)).toEqual([expect.stringMatching(/must be a string/)]);
  });
});

describe('derivedUuid', () => {
  it('is a version-4-shaped UUID, the same for the same seed and different for another', () => {
    const one = derivedUuid('record-1\u0000');
    expect(one).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedUuid('record-1\u0000')).toBe(one);
    expect(derivedUuid('record-1\u0000thumb')).not.toBe(one);
  });
});
