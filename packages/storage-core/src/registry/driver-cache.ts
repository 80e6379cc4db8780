/**
 * Drivers built once and shared, by a string key (today a backend name; a
 * target id once locations resolve through targets). A driver whose settings
 * changed is retired, not closed: operations already running may still hold
 * it, so it is closed with the cache.
 */
import type { StorageDriver } from '../types.js';

/** Builds drivers on first use, keeps them by key, and closes every one it built. */
export class DriverCache {
  readonly #drivers = new Map<string, StorageDriver>();
  readonly #retired: StorageDriver[] = [];

  /**
   * The driver cached under `key`, else the one `build` returns, cached from
   * then on. A `build` that throws caches nothing, so the next call tries again.
   */
  get(key: string, build: () => StorageDriver): StorageDriver {
    const cached = this.#drivers.get(key);
    if (cached) return cached;
    const driver = build();
    this.#drivers.set(key, driver);
    return driver;
  }

  /** True when a driver is cached under `key`. */
  has(key: string): boolean {
    return this.#drivers.has(key);
  }

  /** Stops handing out the driver under `key`; the next `get` builds a new one. It is closed by `close()`. */
  retire(key: string): void {
    const driver = this.#drivers.get(key);
    if (!driver) return;
    this.#drivers.delete(key);
    this.#retired.push(driver);
  }

  /** Retires every cached driver (e.g. after the settings were reloaded). */
  retireAll(): void {
    for (const key of [...this.#drivers.keys()]) this.retire(key);
  }

  /** Closes every driver built so far, cached or retired; a failing close is ignored. */
  async close(): Promise<void> {
    this.retireAll();
    const drivers = this.#retired.splice(0);
    await Promise.all(drivers.map((driver) => driver.close().catch(() => undefined)));
  }
}
