/**
 * Runs one benchmark case inside the current process and measures it: the
 * timing covers only the work itself (after the side is created and warmed up),
 * and memory is read around it. Used by the child-process entry point.
 */
import pLimit from 'p-limit';
import type { BenchSide } from './bench-side.js';
import type { BenchCase, CaseResult, ServerTarget } from './case-spec.js';
import { generatedBytes, generatedStream } from './generated-body.js';
import { startHeapSampler } from './memory-sampler.js';

interface Work {
  readonly bytes: number;
  readonly operations: number;
}

/** The side `spec` measures, with only its own modules loaded (the raw side never holds Stowage's code). */
async function sideFor(spec: BenchCase, target: ServerTarget): Promise<BenchSide> {
  if (spec.kind !== 'expect' && spec.side === 'raw') {
    const { createRawSide } = await import('./raw-side.js');
    return createRawSide(target, spec.tuning);
  }
  const { createDriverSide } = await import('./driver-side.js');
  return spec.kind === 'expect'
    ? createDriverSide(target, spec.tuning, { disableExpectContinue: !spec.expectContinue })
    : createDriverSide(target, spec.tuning);
}

async function drain(side: BenchSide, key: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of await side.open(key)) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Prepares in-memory inputs outside the timing, then returns the timed work. */
function prepare(spec: BenchCase, side: BenchSide): () => Promise<Work> {
  switch (spec.kind) {
    case 'upload':
      return async () => {
        const body = spec.body === 'file' ? { filePath: spec.filePath } : generatedStream(spec.bytes);
        const written = await side.upload(spec.key, body, spec.bytes);
        if (written !== spec.bytes)
          throw new Error(`upload of ${spec.key} reported ${written} bytes, expected ${spec.bytes}`);
        return { bytes: written, operations: 1 };
      };
    case 'small': {
      const bodies = Array.from({ length: spec.count }, (_, index) => generatedBytes(spec.bytes, index));
      return async () => {
        const limit = pLimit(spec.concurrency);
        await Promise.all(bodies.map((body, index) => limit(() => side.put(`${spec.prefix}${index}.bin`, body))));
        return { bytes: spec.count * spec.bytes, operations: spec.count };
      };
    }
    case 'read':
      return async () => {
        const bytes = await drain(side, spec.key);
        if (bytes !== spec.bytes)
          throw new Error(`read of ${spec.key} returned ${bytes} bytes, expected ${spec.bytes}`);
        return { bytes, operations: 1 };
      };
    case 'expect': {
      const body = generatedBytes(spec.bytes, 7);
      return async () => {
        for (let index = 0; index < spec.count; index++) await side.put(`${spec.prefix}${index}.bin`, body);
        return { bytes: spec.count * spec.bytes, operations: spec.count };
      };
    }
  }
}

/** Creates the side, warms it up, runs the case once and reports time and memory. */
export async function runCase(spec: BenchCase, target: ServerTarget): Promise<CaseResult> {
  const side = await sideFor(spec, target);
  try {
    await side.warmUp();
    const work = prepare(spec, side);
    const rssBeforeBytes = process.memoryUsage.rss();
    const sampler = startHeapSampler();
    const started = performance.now();
    const done = await work();
    const elapsedMs = performance.now() - started;
    const peakHeapDeltaBytes = sampler.stop();
    return {
      elapsedMs,
      bytes: done.bytes,
      operations: done.operations,
      rssBeforeBytes,
      // getrusage reports maxrss in KiB on Linux.
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapDeltaBytes,
    };
  } finally {
    await side.close();
  }
}
