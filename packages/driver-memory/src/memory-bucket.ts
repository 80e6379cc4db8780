/**
 * Where a memory driver keeps its objects. A bucket outlives the drivers that
 * use it, as a real bucket outlives its clients: the registry may rebuild a
 * driver (settings edited, cache retired) and the objects are still there.
 * Stored bytes are never handed out or changed in place: writes store a copy,
 * reads stream copies, and a replaced object is a new record.
 */

/** One stored object. Its `bytes` belong to the bucket and are never mutated. */
export interface StoredObject {
  readonly bytes: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly cacheControl: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly lastModified: Date;
}

/** Compares keys in UTF-8 byte order, the order S3 lists in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A named set of objects in this process. */
export class MemoryBucket {
  readonly name: string;
  readonly #objects = new Map<string, StoredObject>();

  constructor(name = 'default') {
    this.name = name;
  }

  /** How many objects the bucket holds. */
  get size(): number {
    return this.#objects.size;
  }

  /** Every key, in UTF-8 byte order: handy for assertions in app tests. */
  keys(): string[] {
    return this.keysStartingWith('');
  }

  /** Keys that start with `prefix`, in UTF-8 byte order. */
  keysStartingWith(prefix: string): string[] {
    return [...this.#objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys);
  }

  /** Removes every object (between tests). */
  clear(): void {
    this.#objects.clear();
  }

  /** The object under `key`, if any. */
  get(key: string): StoredObject | undefined {
    return this.#objects.get(key);
  }

  /** Stores `object` under `key`, replacing what was there. */
  put(key: string, object: StoredObject): void {
    this.#objects.set(key, object);
  }

  /** Removes `key`; nothing happens when it is missing. */
  delete(key: string): void {
    this.#objects.delete(key);
  }
}
