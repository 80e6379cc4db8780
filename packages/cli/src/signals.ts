/**
 * Stopping long work cleanly: the first SIGINT or SIGTERM aborts the signal
 * the work runs with (it finishes or undoes what is in flight and reports);
 * a second one ends the process at once with 130.
 */

/** An AbortSignal tied to SIGINT/SIGTERM, and the function that unhooks it. */
export function stopSignal(onStop?: (signal: NodeJS.Signals) => void): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    onStop?.(name);
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
