/**
 * The one definition of valid user metadata and content types, shared by
 * offload (which checks its input before any side effect) and the drivers
 * (which check their write options). Metadata travels as `x-amz-meta-*` HTTP
 * headers on S3, so the rules are the strictest common ground of the backends.
 */

/** Upper bound of all metadata keys plus values, in bytes (S3 allows 2 KiB of user metadata). */
export const MAX_METADATA_BYTES = 2048;

const METADATA_KEY = /^[a-z0-9][a-z0-9_-]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// RFC 9110 token characters for type and subtype; parameters are `; name=value` pairs.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[\\x20-\\x21\\x23-\\x7e]*"))*\\s*$`);

/**
 * Every reason `metadata` cannot be stored as user metadata: keys must be
 * lower-case a-z, 0-9, "-" or "_" (starting with a letter or digit), values
 * printable ASCII strings, and keys plus values at most 2 KiB in total. An
 * empty list means valid; undefined is valid (no metadata).
 */
export function metadataProblems(metadata: unknown): string[] {
  if (metadata === undefined) return [];
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return ['metadata must be an object of string values'];
  }
  const problems: string[] = [];
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(name)) {
      problems.push(`metadata key ${JSON.stringify(name)} must be lower-case letters, digits, "-" or "_"`);
    }
    if (typeof value !== 'string') problems.push(`metadata value of ${JSON.stringify(name)} must be a string`);
    else if (!PRINTABLE_ASCII.test(value)) {
      problems.push(`metadata value of ${JSON.stringify(name)} must be printable ASCII text`);
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value));
  }
  if (bytes > MAX_METADATA_BYTES) {
    problems.push(`metadata must be at most ${MAX_METADATA_BYTES} bytes in total (keys plus values), got ${bytes}`);
  }
  return problems;
}

/**
 * Why `value` is not a usable content type (`type/subtype`, optionally with
 * `; name=value` parameters, e.g. "text/plain; charset=utf-8"), or undefined
 * when it is one.
 */
export function contentTypeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'content type must be a string';
  if (!CONTENT_TYPE.test(value)) {
    return `content type ${JSON.stringify(value.slice(0, 100))} must look like "type/subtype", optionally with "; name=value" parameters`;
  }
  return undefined;
}
