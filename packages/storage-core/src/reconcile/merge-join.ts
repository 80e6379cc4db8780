/**
 * A streamed merge-join of two listings sorted by key in UTF-8 byte order: a
 * backend's objects and the catalog's files. Only the current item of each
 * side is held, so memory does not grow with the listings. A side that comes
 * out of order stops the join with an error: comparing misordered listings
 * would report recorded objects as missing and unrecorded ones as orphans.
 */
import { ErrorCode, StorageError } from '../errors.js';
import { compareUtf8 } from './utf8-order.js';

/** One key of the join: what the left side has there (if anything), and every right-side item with that key. */
export interface Joined<L, R> {
  readonly key: string;
  readonly left: L | undefined;
  readonly right: readonly R[];
}

/** One side of a join. */
export interface JoinSide<T> {
  readonly items: AsyncIterable<T>;
  readonly keyOf: (item: T) => string;
  /** For errors: e.g. 'the listing of "r2.1"'. */
  readonly name: string;
}

/**
 * Yields every key of either side in UTF-8 byte order. The left side must have
 * each key once (a listing); the right side may repeat a key (grouped). With
 * `untilLeftEnds`, stops reading the right side once the left side is done.
 */
export async function* mergeJoin<L, R>(
  left: JoinSide<L>,
  right: JoinSide<R>,
  options: { readonly untilLeftEnds?: boolean } = {},
): AsyncGenerator<Joined<L, R>> {
  const lefts = new OrderedReader(left, true);
  const rights = new OrderedReader(right, false);
  try {
    let l = await lefts.next();
    let r = await rights.next();
    while (l !== undefined || (r !== undefined && !options.untilLeftEnds)) {
      const order = l === undefined ? 1 : r === undefined ? -1 : compareUtf8(lefts.key, rights.key);
      if (order < 0) {
        yield { key: lefts.key, left: l as L, right: [] };
        l = await lefts.next();
        continue;
      }
      const key = rights.key;
      const group: R[] = [r as R];
      for (r = await rights.next(); r !== undefined && rights.key === key; r = await rights.next()) group.push(r);
      if (order === 0) {
        yield { key, left: l as L, right: group };
        l = await lefts.next();
      } else {
        yield { key, left: undefined, right: group };
      }
    }
  } finally {
    await Promise.all([lefts.close(), rights.close()]);
  }
}

/** Reads one side, checking that keys only ever go up (strictly, when `unique`). */
class OrderedReader<T> {
  readonly #side: JoinSide<T>;
  readonly #unique: boolean;
  readonly #iterator: AsyncIterator<T>;
  #done = false;
  key = '';
  #previous: string | undefined;

  constructor(side: JoinSide<T>, unique: boolean) {
    this.#side = side;
    this.#unique = unique;
    this.#iterator = side.items[Symbol.asyncIterator]();
  }

  async next(): Promise<T | undefined> {
    if (this.#done) return undefined;
    const step = await this.#iterator.next();
    if (step.done) {
      this.#done = true;
      return undefined;
    }
    const key = this.#side.keyOf(step.value);
    if (this.#previous !== undefined) {
      const order = compareUtf8(this.#previous, key);
      if (order > 0 || (order === 0 && this.#unique)) {
        throw new StorageError(
          ErrorCode.Unsupported,
          `${this.#side.name} is not in UTF-8 byte order ("${key}" came after "${this.#previous}"), so it cannot be compared with the catalog; stopped`,
        );
      }
    }
    this.#previous = key;
    this.key = key;
    return step.value;
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#iterator.return?.();
  }
}
