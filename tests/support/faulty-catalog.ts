/**
 * A real catalog (SQLite or Postgres) with faults injected on its calls: each
 * call first asks `fault`, which may return the error that call fails with (a
 * catalog hiccup at the one moment a test needs it); every other call goes to
 * the catalog itself. The catalog keeps its #private state: methods run bound to it.
 */
import type { Catalog } from '../../packages/storage-core/src/index.js';

/** `catalog`, with `fault(method, args)` deciding which calls fail, and with what. */
export function faultyCatalog<C extends Catalog>(
  catalog: C,
  fault: (method: string, args: readonly unknown[]) => Error | undefined,
): C {
  return new Proxy(catalog, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const error = typeof property === 'string' ? fault(property, args) : undefined;
        if (error) return Promise.reject(error);
        return method.apply(target, args);
      };
    },
  });
}
