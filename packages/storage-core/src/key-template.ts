/**
 * Key templates: how a provider names the objects offload (and a browser
 * upload) stores, PicGo style, e.g. `{year}/{month}/{fileName}.{extName}` or
 * `media/{hash8}/{fileName}.{extName}`. Without a template a result keeps its
 * relative path (`{path}`), today's behaviour. The driver's key prefix is
 * still applied by the driver, in front of whatever the template gives.
 *
 * Every token is a pure function of facts that are fixed when a result is
 * first seen (see `KeyFacts`): the date and time of the first attempt, a UUID
 * derived from the catalog record, the file's name and content. So a retry, the
 * worker or a re-offload after a crash computes the very same key, never a new
 * uuid or timestamp. See docs/architecture.md, "Key templates".
 */
import { createHash } from 'node:crypto';
import { ErrorCode, StorageError } from './errors.js';
import { keyProblem } from './keys.js';

/** The tokens a template may use, with what each gives. */
export const KEY_TEMPLATE_TOKENS = {
  path: 'the relative path on the results disk (the default: "{path}")',
  year: 'four-digit year of the first attempt (UTC)',
  month: 'two-digit month of the first attempt (UTC)',
  day: 'two-digit day of the first attempt (UTC)',
  timestamp: 'milliseconds since 1970 of the first attempt',
  fileName: 'the file name without its extension',
  extName: 'the extension without its dot ("" for none; ".{extName}" then gives nothing)',
  uuid: 'a UUID fixed for this file of this result',
  md5: 'MD5 of the content (hex)',
  sha256: 'SHA-256 of the content (hex)',
  hash8: 'the first 8 hex characters of the SHA-256 (cache busting)',
} as const;

/** A token name, e.g. "year". */
export type KeyTemplateToken = keyof typeof KEY_TEMPLATE_TOKENS;

/** The template used when a provider sets none: the relative path. */
export const DEFAULT_KEY_TEMPLATE = '{path}';

/** The longest template accepted, in characters. */
export const MAX_KEY_TEMPLATE_LENGTH = 512;

const TOKEN = /\{([^{}]*)\}/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The facts a key is made from; every one is fixed when the result is first seen. */
export interface KeyFacts {
  /** The file's relative path on the results disk. */
  readonly path: string;
  /** Epoch milliseconds of the first attempt (the catalog record's creation). */
  readonly time: number;
  /** A UUID fixed for this file of this result (see `derivedUuid`). */
  readonly uuid: string;
  /** Content digests (hex), needed only when the template has a content token. */
  readonly sha256?: string;
  readonly md5?: string;
}

/** What a template needs to be rendered, so offload only computes that. */
export interface KeyTemplateNeeds {
  /** A content token: the file must be hashed before the key is known. */
  readonly content: boolean;
  /** The `{uuid}` token: the key depends on the catalog record's id. */
  readonly uuid: boolean;
}

/**
 * Why `template` is not a usable key template: not a string, too long, a
 * control character or backslash, a brace without its pair, an unknown token,
 * no token at all, an absolute template, an empty or "." / ".." segment. Empty
 * when it is fine. Problems name positions, never the entered text, so a
 * secret pasted here is not repeated. Lacking a unique token is allowed.
 */
export function keyTemplateProblems(template: unknown): string[] {
  if (typeof template !== 'string')
    return ['keyTemplate: must be a string such as "{year}/{month}/{fileName}.{extName}"'];
  if (template.length > MAX_KEY_TEMPLATE_LENGTH) {
    return [`keyTemplate: must be at most ${MAX_KEY_TEMPLATE_LENGTH} characters`];
  }
  const problems: string[] = [];
  if (CONTROL_CHARS.test(template)) problems.push('keyTemplate: must not contain control characters');
  if (template.includes('\\')) problems.push('keyTemplate: must not contain a backslash; use "/" between segments');
  if (template.startsWith('/')) problems.push('keyTemplate: must be relative (no leading "/")');
  const literal = template.replace(TOKEN, '');
  if (literal.includes('{') || literal.includes('}')) problems.push('keyTemplate: has a "{" or "}" without its pair');
  let tokens = 0;
  for (const match of template.matchAll(TOKEN)) {
    tokens++;
    if (!Object.hasOwn(KEY_TEMPLATE_TOKENS, match[1] as string)) {
      problems.push(`keyTemplate: unknown token at character ${(match.index ?? 0) + 1} (known: ${knownTokens()})`);
    }
  }
  if (tokens === 0) problems.push(`keyTemplate: needs at least one token (${knownTokens()})`);
  const segments = template.split('/');
  segments.forEach((segment, index) => {
    if (segment === '' && !(index === 0 && template.startsWith('/'))) {
      problems.push(`keyTemplate: segment ${index + 1} is empty ("//" or a "/" at either end)`);
    } else if (segment === '.' || segment === '..') {
      problems.push(`keyTemplate: segment ${index + 1} is "${segment}", which would leave the key's folder`);
    }
  });
  return problems;
}

/** Throws MISCONFIGURED listing every problem of `template` (see `keyTemplateProblems`). */
export function validateKeyTemplate(template: unknown): string {
  const problems = keyTemplateProblems(template);
  if (problems.length > 0) {
    throw new StorageError(ErrorCode.Misconfigured, `invalid key template: ${problems.join('; ')}`);
  }
  return template as string;
}

/** What rendering `template` needs (see `KeyTemplateNeeds`). */
export function keyTemplateNeeds(template: string): KeyTemplateNeeds {
  const used = new Set([...template.matchAll(TOKEN)].map((match) => match[1]));
  return { content: used.has('md5') || used.has('sha256') || used.has('hash8'), uuid: used.has('uuid') };
}

/**
 * The key `template` gives a file with these facts. Throws MISCONFIGURED when
 * the template is invalid or gives an invalid key for this file (an empty
 * segment from an empty extension, more than 1,024 bytes...), and when a
 * content token is used without the digests.
 */
export function renderKeyTemplate(template: string, facts: KeyFacts): string {
  validateKeyTemplate(template);
  const date = new Date(facts.time);
  const slash = facts.path.lastIndexOf('/');
  const base = facts.path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const hasExt = dot > 0 && dot < base.length - 1;
  const values: Record<KeyTemplateToken, () => string> = {
    path: () => facts.path,
    year: () => String(date.getUTCFullYear()).padStart(4, '0'),
    month: () => String(date.getUTCMonth() + 1).padStart(2, '0'),
    day: () => String(date.getUTCDate()).padStart(2, '0'),
    timestamp: () => String(facts.time),
    fileName: () => (hasExt ? base.slice(0, dot) : base),
    extName: () => (hasExt ? base.slice(dot + 1) : ''),
    uuid: () => facts.uuid,
    md5: () => digest(facts.md5, 'md5'),
    sha256: () => digest(facts.sha256, 'sha256'),
    hash8: () => digest(facts.sha256, 'sha256').slice(0, 8),
  };
  // ".{extName}" of a file without an extension gives nothing, not a trailing dot.
  const withoutEmptyExt = hasExt ? template : template.replaceAll('.{extName}', '{extName}');
  const key = withoutEmptyExt.replace(TOKEN, (_match, token: KeyTemplateToken) => values[token]());
  const problem = keyProblem(key);
  if (problem) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `the key template gives result "${facts.path}" an invalid key: ${problem}`,
      { key: facts.path },
    );
  }
  return key;
}

/**
 * A UUID (version 4 layout) derived from `seed` (a catalog record id and a
 * file name): random-looking when the seed is, and the same every time it is
 * asked for, so a retry names the object as the first attempt did.
 */
export function derivedUuid(seed: string): string {
  const bytes = createHash('sha256').update('stowage/key-template-uuid\u0000').update(seed).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function digest(value: string | undefined, name: string): string {
  if (value === undefined) {
    throw new StorageError(
      ErrorCode.Misconfigured,
      `the key template needs the ${name} of the content, which was not computed`,
    );
  }
  return value;
}

function knownTokens(): string {
  return Object.keys(KEY_TEMPLATE_TOKENS)
    .map((token) => `{${token}}`)
    .join(', ');
}
