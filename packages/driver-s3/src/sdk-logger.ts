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

/** The bridge sdkLogger returns: an SDK logger that can still say what it held back. */
export interface HoldingSdkLogger extends SdkLogger {
  /**
   * Logs one line per text held back since it was last logged, with
   * `repeated`, so the last minute of an outage is not left unsaid when the
   * driver closes.
   */
  flushHeld(): void;
}

/**
 * How long one warning text is logged at most once. The SDK's warnings name
 * no request: in an outage every failed part of every upload repeats the same
 * line, while the driver reports each failed write itself.
 */
export const SDK_WARNING_REPEAT_MS = 60_000;

/** Distinct warning texts remembered at once; the SDK has a handful, so more means texts that vary. */
const REMEMBERED_TEXTS = 32;

const drop = (): void => undefined;

/** When a warning text was last logged, and how many times it came since without being logged. */
interface Seen {
  readonly at: number;
  held: number;
}

/**
 * An SDK logger that sends the SDK's warnings to `logger` at warn, with
 * `facts` and scrubbed of `secrets`, each text at most once per
 * SDK_WARNING_REPEAT_MS: the next one after that carries `repeated`, how many
 * were held back meanwhile. Its debug, info and error are dropped: the SDK
 * logs every command's input and output at info, and every failed command (a
 * HEAD of a missing key among them) with its input at error, while the driver
 * reports its failures itself, as StorageErrors. `flushHeld()` says what is
 * still held back. `now` is Date.now outside tests.
 */
export function sdkLogger(
  logger: Logger,
  facts: Readonly<Record<string, unknown>>,
  secrets: readonly string[],
  now: () => number = Date.now,
): HoldingSdkLogger {
  const seen = new Map<string, Seen>();
  const say = (text: string, held: number) => logger.warn(held ? { ...facts, repeated: held } : { ...facts }, text);
  return {
    trace: drop,
    debug: drop,
    info: drop,
    error: drop,
    warn: (...content: unknown[]) => {
      const text = redactSecrets(
        content
          .map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : undefined))
          .filter((part) => part !== undefined)
          .join(' ')
          .trim() || 'warning without a message',
        secrets,
      );
      const at = now();
      const last = seen.get(text);
      if (last && at - last.at < SDK_WARNING_REPEAT_MS) {
        last.held++;
        return;
      }
      if (!last && seen.size >= REMEMBERED_TEXTS) seen.clear();
      seen.set(text, { at, held: 0 });
      say(text, last?.held ?? 0);
    },
    flushHeld: () => {
      for (const [text, last] of seen) {
        if (last.held === 0) continue;
        say(text, last.held);
        last.held = 0;
      }
    },
  };
}
