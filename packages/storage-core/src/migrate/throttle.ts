/**
 * A byte-rate limit shared by every transfer of one migration, so
 * `bytesPerSecond` bounds the whole migration, not each file. Each chunk waits
 * until the budget it needs has accrued (a token bucket that starts empty and
 * holds at most a quarter second of budget, so no run starts with a burst).
 */
import { Transform } from 'node:stream';

/** A shared budget of bytes per second; `stream()` makes a pass-through that spends it. */
export class ByteRateLimit {
  readonly #bytesPerSecond: number;
  #available: number;
  #last = performance.now();
  #queue: Promise<void> = Promise.resolve();

  constructor(bytesPerSecond: number) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#available = 0;
  }

  /** A pass-through stream whose chunks wait for the budget. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.#spend(chunk.length).then(() => done(null, chunk), done);
      },
    });
  }

  // Spending is serialized, so concurrent transfers share the budget fairly in arrival order.
  #spend(bytes: number): Promise<void> {
    const turn = this.#queue.then(async () => {
      this.#refill();
      if (this.#available < bytes) {
        const waitMs = ((bytes - this.#available) / this.#bytesPerSecond) * 1000;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        // The wait was for exactly this chunk: what accrued meanwhile is spent on it, uncapped.
        this.#refill(Number.POSITIVE_INFINITY);
      }
      this.#available -= bytes;
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  #refill(cap = this.#bytesPerSecond / 4): void {
    const now = performance.now();
    this.#available = Math.min(cap, this.#available + ((now - this.#last) / 1000) * this.#bytesPerSecond);
    this.#last = now;
  }
}
