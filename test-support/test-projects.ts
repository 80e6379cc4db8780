/**
 * Splits the test files into the two vitest projects by what each file uses:
 * `integration` when it needs a server the test set-up provides (it calls
 * `inject()` for one the global setup started, or starts MinIO, toxiproxy,
 * Postgres or Chromium itself); `unit` otherwise. Unit tests run without Go,
 * MinIO, toxiproxy, Postgres or a browser: `pnpm test:unit`.
 *
 * Deciding by content rather than by a list or a file-name convention means a
 * new file lands in the right project without anyone having to remember a rule.
 */
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where test files live, relative to the repository root. */
const TEST_FILE_PATTERNS = [
  'packages/*/test/**/*.test.ts',
  'tests/**/*.test.ts',
  'examples/*/test/**/*.test.ts',
] as const;

/**
 * A call that means "this file needs a server": `inject(` of what the global
 * setup provides, or a starter from @stowage/testing / test-support.
 */
const NEEDS_A_SERVER =
  /\binject\(|\bstart(?:MinioProcess|MinioContainer|S3TestServer|Toxiproxy|Postgres)\(|\blaunchChromium\(|\bfileToxiproxy\(/;

/** True when the test source needs a server (see NEEDS_A_SERVER). */
function needsAServer(source: string): boolean {
  return NEEDS_A_SERVER.test(source);
}

/** The repository's test files, relative to `root`, split into unit and integration. */
export function splitTestFiles(root: string): { unit: string[]; integration: string[] } {
  const unit: string[] = [];
  const integration: string[] = [];
  for (const file of globSync([...TEST_FILE_PATTERNS], { cwd: root }).sort()) {
    (needsAServer(readFileSync(join(root, file), 'utf8')) ? integration : unit).push(file);
  }
  return { unit, integration };
}
