/**
 * Request bodies, read once with a size cap: JSON objects for the API, URL-
 * encoded forms for the page. Anything else is refused with the problem
 * named; a body's content is never repeated in an error.
 */
import { HttpProblem } from './http-problem.js';

/** A request's body, parsed by its content type. */
export type ParsedBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: Readonly<Record<string, unknown>> }
  | { readonly kind: 'form'; readonly value: URLSearchParams };

/** The media type of the request, lower-case, without parameters; "" when there is none. */
function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function readCapped(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw new HttpProblem(413, [`the request body is larger than ${maxBytes} bytes`]);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new HttpProblem(413, [`the request body is larger than ${maxBytes} bytes`]);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses the body: JSON (must be an object) or an URL-encoded form;
 * an empty body is `none`. 400 for malformed JSON, 413 above `maxBytes`, 415
 * for other content types.
 */
export async function readBody(request: Request, maxBytes: number): Promise<ParsedBody> {
  const bytes = await readCapped(request, maxBytes);
  const type = mediaType(request);
  if (bytes.length === 0 && type !== 'application/x-www-form-urlencoded') return { kind: 'none' };
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new HttpProblem(400, ['the body is not valid JSON']);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new HttpProblem(400, ['the body must be a JSON object']);
    }
    return { kind: 'json', value: value as Record<string, unknown> };
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { kind: 'form', value: new URLSearchParams(bytes.toString('utf8')) };
  }
  throw new HttpProblem(415, ['send application/json (API) or application/x-www-form-urlencoded (forms)']);
}
