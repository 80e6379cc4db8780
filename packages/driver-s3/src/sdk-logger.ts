/**
 * The logger the driver's SDK clients get. Left without one, the SDK writes
 * some warnings straight to the console, uninvited in an app's output: its
 * retry middleware on every failed streamed request ("An error was encountered
 * in a non-retryable streaming request.", even with SDK retries off), the HTTP
 * handler on sockets at capacity. docs/architecture.md, "The S3 driver and the
 * AWS SDK".
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { type Logger, redactSecrets } from '@stowage/storage-core';

/** The logger shape the SDK clients and their HTTP handler take. */
export type SdkLogger = NonNullable<S3ClientConfig['logger']>;

const drop = (): void => undefined;

/**
 * An SDK logger that sends the SDK's warnings to `logger` at warn, with
 * `facts` and scrubbed of `secrets`. Its debug, info and error are dropped:
 * the SDK logs every command's input and output at info, and every failed
 * command (a HEAD of a missing key among them) with its input at error, while
 * the driver reports its failures itself, as StorageErrors.
 */
export function sdkLogger(
  logger: Logger,
  facts: Readonly<Record<string, unknown>>,
  secrets: readonly string[],
): SdkLogger {
  return {
    trace: drop,
    debug: drop,
    info: drop,
    error: drop,
    warn: (...content: unknown[]) => {
      const text = content
        .map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : undefined))
        .filter((part) => part !== undefined)
        .join(' ')
        .trim();
      logger.warn({ ...facts }, redactSecrets(text || 'warning without a message', secrets));
    },
  };
}
