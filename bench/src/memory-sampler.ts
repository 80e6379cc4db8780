/**
 * Samples JavaScript-managed memory (V8 heap plus external memory, which is
 * where Buffers live) during a measured run. The kernel's max RSS catches every
 * peak but includes the runtime itself; this sampler shows what the work added.
 */

/** A running sampler; `stop()` returns the peak growth in bytes. */
export interface HeapSampler {
  stop(): number;
}

function jsMemory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Starts sampling every `intervalMs`; the timer is unref'd so it never keeps the process alive. */
export function startHeapSampler(intervalMs = 20): HeapSampler {
  const base = jsMemory();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, jsMemory());
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, jsMemory());
      return peak - base;
    },
  };
}
