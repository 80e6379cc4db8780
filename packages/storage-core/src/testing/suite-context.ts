import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { expect } from 'vitest';
import type { ErrorCode } from '../errors.js';
import type { StorageDriver } from '../types.js';
import type { ResolvedConformanceOptions } from './options.js';

/** What each section of the suite gets: the driver under test and helpers. */
export interface SuiteContext {
  readonly options: ResolvedConformanceOptions;
  /** The driver under test; only valid inside tests (after beforeAll). */
  driver(): StorageDriver;
  /** A key prefix no other test uses, e.g. "write-bytes-3f2a9c1e/". */
  scope(label: string): string;
}

/** Builds the context; `current` is filled in by the suite's beforeAll. */
export function createSuiteContext(
  options: ResolvedConformanceOptions,
  current: () => StorageDriver | undefined,
): SuiteContext {
  return {
    options,
    driver() {
      const driver = current();
      if (!driver) throw new Error('the driver under test was not created (createDriver failed in beforeAll)');
      return driver;
    },
    scope(label) {
      return `${label}-${randomUUID().slice(0, 8)}/`;
    },
  };
}

/**
 * Asserts that `action` throws or rejects with a StorageError carrying `code`,
 * and returns the error. Compares `code` rather than the class, so a driver built
 * against another copy of storage-core still passes.
 */
export async function expectStorageError(
  action: (() => unknown) | Promise<unknown>,
  code: ErrorCode,
): Promise<Error & { code: string }> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    const value = typeof action === 'function' ? await action() : await action;
    outcome = { ok: true, value };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok) {
    expect.fail(`expected a StorageError with code ${code}, but the operation succeeded`);
  }
  const error = outcome.error as Error & { code?: unknown };
  expect(error, `expected an Error with code ${code}, got ${String(error)}`).toBeInstanceOf(Error);
  expect(error.code, `expected code ${code}, got ${String(error.code)} (${error.message})`).toBe(code);
  return error as Error & { code: string };
}

/** Reads an object whole. For small objects in tests only. */
export async function readText(driver: StorageDriver, key: string, range?: { start: number; end?: number }) {
  const stream = await driver.read(key, range ? { range } : undefined);
  return (await buffer(stream)).toString('utf8');
}

/** Reads an object whole as bytes. For small objects in tests only. */
export async function readBytes(driver: StorageDriver, key: string): Promise<Buffer> {
  return buffer(await driver.read(key));
}

/** Every key the driver lists under `prefix`, in listing order. */
export async function listKeys(driver: StorageDriver, prefix?: string, pageSize?: number): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of driver.list(prefix, pageSize ? { pageSize } : undefined)) keys.push(entry.key);
  return keys;
}
