/**
 * The SDK's warnings reach the app's logger once per text and minute: in an
 * outage every failed part repeats the same line, which names no request. The
 * real SDK raising them through MinIO and toxiproxy is tests/sdk-warnings.test.ts;
 * here a clock steps the minute.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SDK_WARNING_REPEAT_MS, sdkLogger } from '../src/sdk-logger.js';

const STREAMING = 'An error was encountered in a non-retryable streaming request.';

function captured() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { lines, logger };
}

describe('the SDK logger bridge', () => {
  it('logs a repeated warning once per minute, then says how many it held back', () => {
    const { lines, logger } = captured();
    let now = 1_000_000;
    const sdk = sdkLogger(logger, { backend: 'minio', source: 'aws-sdk' }, [], () => now);

    for (let part = 0; part < 5; part++) sdk.warn(STREAMING);
    now += SDK_WARNING_REPEAT_MS - 1;
    sdk.warn(STREAMING);
    expect(lines.map((line) => [line.msg, line.repeated])).toEqual([[STREAMING, undefined]]);

    now += 1;
    sdk.warn(STREAMING);
    now += SDK_WARNING_REPEAT_MS;
    sdk.warn(STREAMING);
    expect(lines.map((line) => [line.msg, line.repeated, line.backend])).toEqual([
      [STREAMING, undefined, 'minio'],
      [STREAMING, 5, 'minio'],
      [STREAMING, undefined, 'minio'],
    ]);
  });

  it('says on flush how many it still held back, once, so an outage that ended is not left unsaid', () => {
    const { lines, logger } = captured();
    const sdk = sdkLogger(logger, { backend: 'minio' }, [], () => 0);
    sdk.flushHeld();
    sdk.warn(STREAMING);
    sdk.flushHeld();
    expect(lines).toHaveLength(1);

    for (let part = 0; part < 3; part++) sdk.warn(STREAMING);
    sdk.flushHeld();
    sdk.flushHeld();
    expect(lines.map((line) => [line.msg, line.repeated, line.backend])).toEqual([
      [STREAMING, undefined, 'minio'],
      [STREAMING, 3, 'minio'],
    ]);
  });

  it('holds back each text on its own, so a different warning is never hidden by another', () => {
    const { lines, logger } = captured();
    const sdk = sdkLogger(logger, { backend: 'r2' }, [], () => 0);
    sdk.warn(STREAMING);
    sdk.warn('socket usage at capacity=50 and 12 additional requests are enqueued.');
    sdk.warn(STREAMING);
    expect(lines.map((line) => line.msg)).toEqual([
      STREAMING,
      'socket usage at capacity=50 and 12 additional requests are enqueued.',
    ]);
  });

  it('scrubs secrets before it compares, logs or counts a text', () => {
    const { lines, logger } = captured();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const sdk = sdkLogger(logger, {}, [secret], () => 0);
    sdk.warn(`signing failed for ${secret}`, new Error(`with ${secret}`));
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(lines).toHaveLength(1);
  });

  it('drops the SDK debug, info and error lines', () => {
    const { lines, logger } = captured();
    const sdk = sdkLogger(logger, {}, [], () => 0);
    sdk.debug?.('request', { input: 1 });
    sdk.info('command output');
    sdk.error('HeadObject failed');
    expect(lines).toEqual([]);
  });
});
