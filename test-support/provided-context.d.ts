/**
 * Types for what test-support/global-setup.ts provides, so `inject('s3')` and
 * `inject('postgres')` are typed in every test file.
 */
import type { PostgresTestServerInfo, S3TestServerInfo } from '../packages/testing/src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServerInfo;
    postgres: PostgresTestServerInfo;
  }
}
