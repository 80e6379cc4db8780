import { defineConfig } from 'vitest/config';
import { splitTestFiles } from './test-support/test-projects.js';

const files = splitTestFiles(import.meta.dirname);

export default defineConfig({
  // Resolve workspace packages to their TypeScript sources ("source" export
  // condition), so tests never run against a stale dist/.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers only make the MinIO-bound tests fight for CPU.
    maxWorkers: 2,
    projects: [
      // No server: `pnpm test:unit` runs these without Go, MinIO, toxiproxy, Postgres or a browser.
      { extends: true, test: { name: 'unit', include: files.unit } },
      // The global setup starts MinIO, toxiproxy and Postgres once for every file here.
      {
        extends: true,
        test: { name: 'integration', include: files.integration, globalSetup: ['./test-support/global-setup.ts'] },
      },
    ],
  },
});
