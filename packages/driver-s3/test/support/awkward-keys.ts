/**
 * Keys with every kind of character a path encoder can get wrong: reserved and
 * sub-delimiter characters, quotes and stars (escaped by the SDK but not by
 * encodeURIComponent), non-ASCII, literal percent escapes, empty and trailing
 * segments. Tests that build requests without the SDK's serializer compare
 * them with the SDK's for each of these.
 */
export const AWKWARD_KEYS = [
  'plain.bin',
  'videos/2026/12/clip.mp4',
  'a b/c+d=e&f?g#h.png',
  "quote's (and) star*!~.txt",
  'unicode/Grüße-日本語-😀.jpg',
  'percent%2F/literal%20.bin',
  'tenant-a/media//double-slash.bin',
  'colons:and;semicolons,commas@at$.bin',
  'trailing-slash/',
] as const;
