/**
 * Polls a URL until it answers 2xx, with a hard deadline. Servers started as
 * child processes take a moment to bind; `giveUp` lets the caller stop waiting
 * as soon as the process has died instead of sitting out the whole timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForHttpOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Resolves when waiting is pointless (e.g. the server process exited). */
  readonly giveUp?: Promise<unknown>;
}

/** Outcome of waiting: ready, timed out, or given up; never throws. */
export type WaitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'timeout' | 'gave-up'; readonly lastError?: string };

/** Resolves once `url` answers with a 2xx status, or says why it stopped waiting. */
export async function waitForHttpOk(url: string, options: WaitForHttpOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let gaveUp = false;
  void options.giveUp?.then(() => {
    gaveUp = true;
  });
  let lastError: string | undefined;
  while (Date.now() < deadline) {
    if (gaveUp) return { ok: false, reason: 'gave-up', lastError };
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(Math.max(200, Math.min(2_000, deadline - Date.now()))),
      });
      await response.body?.cancel();
      if (response.ok) return { ok: true };
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError =
        (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
    }
    await sleep(interval);
  }
  return gaveUp ? { ok: false, reason: 'gave-up', lastError } : { ok: false, reason: 'timeout', lastError };
}
