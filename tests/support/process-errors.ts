/**
 * Collects unhandled rejections and uncaught exceptions while a fault test
 * runs, so a test can assert there were none (vitest reports them too, but
 * only after the file; here the scenario that caused one fails by name).
 */
import { afterAll, beforeAll } from 'vitest';

/** What went unhandled so far, as messages. */
export interface ProcessErrors {
  /** Everything collected since the file started, oldest first. */
  readonly seen: readonly string[];
  /** Drops what was collected, e.g. at the start of a scenario. */
  clear(): void;
}

/** Listens on the process for the calling file's whole run; call at the top level of a test file. */
export function watchProcessErrors(): ProcessErrors {
  const seen: string[] = [];
  const describe = (kind: string, error: unknown) =>
    `${kind}: ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error)}`;
  const onRejection = (reason: unknown) => seen.push(describe('unhandledRejection', reason));
  const onException = (error: unknown) => seen.push(describe('uncaughtException', error));
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });
  return {
    seen,
    clear: () => {
      seen.length = 0;
    },
  };
}
