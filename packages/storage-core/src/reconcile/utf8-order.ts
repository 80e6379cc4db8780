/**
 * UTF-8 byte order without encoding: the order S3 lists keys in
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * "returned in UTF-8 binary order") and the order the catalog lists them in.
 */

/** Compares two strings as their UTF-8 bytes would compare (which is Unicode code point order). */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

// UTF-16 code units already sort in code point order, except that surrogates (0xD800-0xDFFF, the
// halves of code points above 0xFFFF) sort below 0xE000-0xFFFF: lift them above.
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
