/**
 * At most `size` tasks at once, and a caller that waits for a free slot
 * before it starts another: so a loop over a listing of any length never
 * queues more than `size` pending checks (p-limit would queue them all).
 */
export class TaskPool {
  readonly #size: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(size: number) {
    this.#size = size;
  }

  /** Starts `task` once a slot is free. Rethrows the first failure of an earlier task. */
  async run(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    this.#throwFailure();
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Waits for every started task; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    this.#throwFailure();
  }

  #throwFailure(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
