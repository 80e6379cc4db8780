/**
 * Fetches URLs the way a browser or CDN would and checks what comes back
 * against what Stowage recorded: status 200, the byte count, the SHA-256.
 * Keeps a tally so the demo can end with one verdict.
 */
import { createHash } from 'node:crypto';

/** A tally of fetched URLs; `check` prints one line per URL. */
export class UrlChecks {
  fetched = 0;
  failed = 0;

  /** GETs `url`; prints status, bytes, content type and whether the bytes are the expected ones. */
  async check(label, url, expected) {
    this.fetched++;
    if (!url) {
      this.failed++;
      console.log(`    ${label}: no URL`);
      return false;
    }
    let line;
    let ok = false;
    try {
      const response = await fetch(url);
      const body = Buffer.from(await response.arrayBuffer());
      const sha256 = createHash('sha256').update(body).digest('hex');
      ok = response.status === 200 && body.length === expected.size && (!expected.sha256 || sha256 === expected.sha256);
      const type = response.headers.get('content-type') ?? 'no content type';
      line = `${response.status}, ${body.length} bytes, ${type}, ${ok ? 'bytes match' : 'NOT the recorded bytes'}`;
    } catch (error) {
      line = `fetch failed: ${error.message}`;
    }
    if (!ok) this.failed++;
    console.log(`    ${label}: GET ${shorten(url)} -> ${line}`);
    return ok;
  }
}

/** Signed URLs carry a long query string; the path says where the bytes come from. */
function shorten(url) {
  const parsed = new URL(url);
  return parsed.search.length > 40 ? `${parsed.origin}${parsed.pathname}?<signature>` : url;
}
