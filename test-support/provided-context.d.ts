/**
 * Types for what test-support/global-setup.ts provides, so `inject('s3')`,
 * `inject('toxiproxy')` and `inject('postgres')` are typed in every test file.
 */
import type { PostgresTestServerInfo, S3TestServerInfo } from '../packages/testing/src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServerInfo;
    toxiproxy: { apiUrl: string };
    postgres: PostgresTestServerInfo;
  }
}
