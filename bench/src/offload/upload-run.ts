/**
 * Runs one Node contender's uploads inside the current process and measures
 * them: set-up and one warm-up request first (module loading, settings, the
 * first TCP connection stay outside the timing), then only the uploads are
 * timed; the peak RSS is the kernel's high-water mark of this process.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OffloadRunResult, OffloadRunSpec } from './run-spec.js';

/** One contender's uploads, set up and ready to time. */
export interface TimedUploads {
  /** One cheap request to the server. */
  warmUp(): Promise<void>;
  /** Uploads every key (relative to the results root); resolves with problems that did not throw. */
  upload(keys: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Microseconds on the monotonic clock V8's CPU profiler stamps its samples with. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The uploads of the contender of `spec`, with only its own side's modules
 * loaded: imported statically, the Stowage child held the raw side's
 * lib-storage and the raw child all of Stowage, and each process's memory
 * counted the other's code.
 */
async function contenderUploads(spec: OffloadRunSpec): Promise<TimedUploads> {
  const { contender } = spec;
  if (contender.kind === 'stowage') {
    const { stowageUploads } = await import('./stowage-run.js');
    return await stowageUploads(spec, contender.variant);
  }
  const { rawUploads } = await import('./raw-run.js');
  return rawUploads(spec);
}

/** Sets up the contender of `spec`, uploads the workload directory once and reports time and memory. */
export async function runUploads(spec: OffloadRunSpec): Promise<OffloadRunResult> {
  const names = (await readdir(join(spec.resultsRoot, spec.dir))).sort();
  const keys = names.map((name) => `${spec.dir}/${name}`);
  const uploads = await contenderUploads(spec);
  try {
    await uploads.warmUp();
    const rssBeforeBytes = process.memoryUsage.rss();
    const cpuBefore = process.cpuUsage();
    const start = monotonicMicros();
    const started = performance.now();
    const problems = await uploads.upload(keys);
    const elapsedMs = performance.now() - started;
    const end = monotonicMicros();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      elapsedMs,
      files: keys.length,
      rssBeforeBytes,
      // getrusage reports maxrss in KiB on Linux.
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuMs: (cpu.user + cpu.system) / 1000,
      workWindowUs: { start, end },
      problems,
    };
  } finally {
    await uploads.close();
  }
}
