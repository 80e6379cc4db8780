import mime from 'mime';

/** Used when neither the caller nor the key's extension gives a type. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The content type for a write: the caller's when given, else the one the key's
 * extension implies (case-insensitive), else application/octet-stream.
 */
export function resolveContentType(key: string, explicit?: string): string {
  if (explicit) return explicit;
  return mime.getType(key.toLowerCase()) ?? DEFAULT_CONTENT_TYPE;
}
